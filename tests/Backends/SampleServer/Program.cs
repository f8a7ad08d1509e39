System.Console.WriteLine("sample server placeholder");
