System.Console.WriteLine("conformance server placeholder");
