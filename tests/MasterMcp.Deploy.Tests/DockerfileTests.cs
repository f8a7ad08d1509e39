using System.Text.RegularExpressions;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>The Dockerfile's final stage, read as text (no Docker engine here): base image, user, health check, labels.</summary>
public sealed partial class DockerfileTests
{
    private const string DockerfilePath = "deploy/docker/Dockerfile";

    [Fact]
    public void FinalStage_IsTheFunctionsDotnetIsolated10Image()
    {
        var stages = Instructions().Where(i => i.Keyword == "FROM").ToList();
        Assert.StartsWith("mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0", stages[^1].Arguments, StringComparison.Ordinal);
        Assert.Contains(stages, s => s.Arguments.StartsWith("--platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal));
    }

    [Fact]
    public void FinalStage_RunsAsNonRootUser()
    {
        var user = FinalStage().Last(i => i.Keyword == "USER").Arguments;
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Equal("app", user);
    }

    [Fact]
    public void HealthCheck_RunsTheAppItself()
    {
        var healthcheck = FinalStage().Single(i => i.Keyword == "HEALTHCHECK").Arguments;
        Assert.Contains("CMD [\"dotnet\", \"/home/site/wwwroot/MasterMcp.Functions.dll\", \"--healthcheck\"]", healthcheck, StringComparison.Ordinal);
        Assert.DoesNotContain("curl", healthcheck, StringComparison.Ordinal);
        Assert.DoesNotContain("wget", healthcheck, StringComparison.Ordinal);

        var options = healthcheck[..healthcheck.IndexOf(" CMD ", StringComparison.Ordinal)]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(o => o.Split('=', 2))
            .ToDictionary(o => o[0], o => o[1]);
        Assert.Equal("10s", options["--interval"]);
        Assert.Equal("3s", options["--timeout"]);
        Assert.Equal("3", options["--retries"]);
        Assert.True(options.ContainsKey("--start-period"), "the Functions host needs a start period");
    }

    [Fact]
    public void Build_RestoresTheLockFiles_InLockedMode()
    {
        var publish = Instructions().Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish src/Functions", StringComparison.Ordinal));
        Assert.Contains("-p:RestoreLockedMode=true", publish.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_AndAppVersion_ComeFromBuildArgs()
    {
        var stage = FinalStage();
        var args = stage.Where(i => i.Keyword == "ARG").Select(i => i.Arguments.Split('=')[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "VERSION", "REVISION", "CREATED", "SOURCE" }, args);

        var labels = string.Join(' ', stage.Where(i => i.Keyword == "LABEL").Select(i => i.Arguments));
        Assert.Contains("org.opencontainers.image.version=\"${VERSION}\"", labels, StringComparison.Ordinal);
        Assert.Contains("org.opencontainers.image.revision=\"${REVISION}\"", labels, StringComparison.Ordinal);
        Assert.Contains("org.opencontainers.image.created=\"${CREATED}\"", labels, StringComparison.Ordinal);
        Assert.Contains("org.opencontainers.image.source=\"${SOURCE}\"", labels, StringComparison.Ordinal);

        var env = string.Join(' ', stage.Where(i => i.Keyword == "ENV").Select(i => i.Arguments));
        Assert.Contains("APP_VERSION=\"${VERSION}\"", env, StringComparison.Ordinal);
        Assert.Contains("AzureFunctionsJobHost__Logging__Console__IsEnabled=true", env, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", env, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_HasTheEntrypoint_NodeAndThePublishedConfig()
    {
        var all = Instructions();
        var stage = FinalStage();
        Assert.Equal("[\"/usr/local/bin/master-entrypoint.sh\"]", stage.Last(i => i.Keyword == "ENTRYPOINT").Arguments);
        Assert.Equal("[\"/opt/startup/start_nonappservice.sh\"]", stage.Last(i => i.Keyword == "CMD").Arguments);
        Assert.Contains(stage, i => i.Keyword == "COPY" && i.Arguments.Contains("deploy/docker/entrypoint.sh /usr/local/bin/master-entrypoint.sh", StringComparison.Ordinal));
        Assert.Contains(stage, i => i.Keyword == "COPY" && i.Arguments == "--from=node /usr/local/bin/node /usr/local/bin/node");
        Assert.Contains(stage, i => i.Keyword == "COPY" && i.Arguments == "--from=build /out /home/site/wwwroot");
        // The build stage fails unless host.json and config/ were published.
        Assert.Contains(all, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish src/Functions", StringComparison.Ordinal) && i.Arguments.Contains("test -d /out/config", StringComparison.Ordinal));
    }

    [Fact]
    public void DockerIgnore_KeepsSecretsAndBuildOutputOut_ButTheEntrypointIn()
    {
        var lines = Repo.ReadText(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet();
        Assert.Superset(new HashSet<string> { ".git", "**/bin", "**/obj", "**/node_modules", ".env", "local.settings.json", "deploy", "!deploy/docker/entrypoint.sh" }, lines);
        Assert.DoesNotContain("src", lines);
        Assert.DoesNotContain("config", lines);
    }

    private static List<Instruction> FinalStage()
    {
        var all = Instructions();
        var lastFrom = all.FindLastIndex(i => i.Keyword == "FROM");
        return all[lastFrom..];
    }

    private static List<Instruction> Instructions()
    {
        var text = Repo.ReadText(DockerfilePath);
        // Join continuation lines, drop comments.
        var logical = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                current += line[..^1].Trim() + " ";
                continue;
            }
            current += line.Trim();
            if (current.Length > 0)
            {
                logical.Add(current);
            }
            current = "";
        }
        return logical.Select(l => InstructionPattern().Match(l))
            .Where(m => m.Success)
            .Select(m => new Instruction(m.Groups[1].Value.ToUpperInvariant(), Regex.Replace(m.Groups[2].Value.Trim(), @"\s+", " ")))
            .ToList();
    }

    [GeneratedRegex(@"^([A-Za-z]+)\s+(.*)$")]
    private static partial Regex InstructionPattern();

    private sealed record Instruction(string Keyword, string Arguments);
}
