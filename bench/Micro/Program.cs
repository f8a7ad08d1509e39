using BenchmarkDotNet.Running;

// Micro-benchmarks of the gateway's hot pieces (issue 15). Run all with a short job:
//   dotnet run -c Release --project bench/Micro -- --filter '*' --job short
// or one class: --filter '*TokenValidation*'. Results land in BenchmarkDotNet.Artifacts/ (git-ignored).
BenchmarkSwitcher.FromAssembly(typeof(Micro.NameResolution).Assembly).Run(args);
