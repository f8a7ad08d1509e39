using System.Reflection;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Fixtures;

/// <summary>Where the build put the Functions app (src/Functions/bin/&lt;Configuration&gt;/net10.0), for tests that run or inspect it.</summary>
public static class FunctionsBuild
{
    /// <summary>The configuration this test assembly was built in (Debug/Release).</summary>
    public static string Configuration { get; } =
        typeof(FunctionsBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>src/Functions/bin/&lt;Configuration&gt;/net10.0.</summary>
    public static string OutputDirectory => Path.Combine(RepoPaths.Root, "src", "Functions", "bin", Configuration, "net10.0");

    /// <summary>The built MasterMcp.Functions.dll; throws when the Functions project was not built.</summary>
    public static string Assembly => Require(Path.Combine(OutputDirectory, "MasterMcp.Functions.dll"));

    /// <summary>The functions.metadata the Functions SDK wrote; falls back to the copy next to the test assembly.</summary>
    public static string Metadata
    {
        get
        {
            var built = Path.Combine(OutputDirectory, "functions.metadata");
            return File.Exists(built) ? built : Require(Path.Combine(AppContext.BaseDirectory, "functions.metadata"));
        }
    }

    /// <summary>The dotnet host that runs this test process.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string Require(string path) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"'{path}' is missing: build src/Functions in {Configuration} first (dotnet test builds it through the project reference).");
}
