using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>Every project restores from a committed NuGet lock file, and the test entry point restores in locked mode.</summary>
public sealed partial class ReproducibleBuildTests
{
    [Fact]
    public void EverySolutionProject_HasALockFile_MatchingTheCentralVersions()
    {
        Assert.Contains("<RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>", Repo.ReadText("Directory.Build.props"), StringComparison.Ordinal);
        var central = CentralVersions();
        var projects = ProjectPattern().Matches(Repo.ReadText("MasterMcp.sln")).Select(m => m.Groups[1].Value.Replace('\\', '/')).ToList();
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            var lockPath = Path.Combine(Path.GetDirectoryName(project)!, "packages.lock.json");
            var lockFile = JsonNode.Parse(Repo.ReadText(lockPath))!["dependencies"]!["net10.0"]!.AsObject();
            foreach (var (name, entry) in lockFile)
            {
                if ((string?)entry!["type"] is "Direct" or "CentralTransitive" && central.TryGetValue(name, out var version))
                {
                    Assert.True(version == (string?)entry["resolved"], $"{lockPath}: {name} resolved {(string?)entry["resolved"]}, Directory.Packages.props says {version}: restore with --force-evaluate and commit the lock file");
                }
            }
        }
    }

    [Fact]
    public void TestEntryPoint_RestoresInLockedMode_ThenBuildsWithoutRestoring()
    {
        var script = Repo.ReadText("scripts/test.sh");
        var restore = script.IndexOf("dotnet restore MasterMcp.sln --locked-mode", StringComparison.Ordinal);
        var build = script.IndexOf("dotnet build MasterMcp.sln", StringComparison.Ordinal);
        Assert.True(restore > 0 && build > restore, "scripts/test.sh must restore in locked mode before it builds");
        Assert.Contains("--no-restore", script[build..script.IndexOf('\n', build)], StringComparison.Ordinal);
    }

    private static Dictionary<string, string> CentralVersions() =>
        PackageVersionPattern().Matches(Repo.ReadText("Directory.Packages.props"))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"Project\(""\{[0-9A-F-]+\}""\) = ""[^""]+"", ""([^""]+\.csproj)""")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex(@"<PackageVersion Include=""([^""]+)"" Version=""([^""]+)""")]
    private static partial Regex PackageVersionPattern();
}
