using System.Text.RegularExpressions;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>Every repository path and every variable that deploy/README.md names exists.</summary>
public sealed partial class ReadmeReferenceTests
{
    private static readonly string[] RepoTopLevel = ["infra", "deploy", ".github", "src", "tests", "config", "tools", "scripts", ".ci", "bench"];

    [Fact]
    public void NamedFiles_Exist()
    {
        var paths = CodeSpans()
            .Where(s => !s.Contains(' ', StringComparison.Ordinal) && s.Contains('/', StringComparison.Ordinal))
            .Where(s => RepoTopLevel.Contains(s.Split('/')[0]))
            .Distinct()
            .ToList();
        Assert.True(paths.Count >= 10, $"Expected the README to name repository files, found: {string.Join(", ", paths)}");
        var missing = paths.Where(p => !File.Exists(Repo.PathOf(p)) && !Directory.Exists(Repo.PathOf(p))).ToList();
        Assert.True(missing.Count == 0, $"deploy/README.md names files that do not exist: {string.Join(", ", missing)}");
    }

    [Fact]
    public void NamedVariables_AreInEnvExampleOrSetByTheDeployment()
    {
        var envExample = Repo.PathOf(".env.example");
        Assert.True(File.Exists(envExample),
            "'.env.example' is missing at the repository root: the README's variables are checked against it (it is written with the gateway's configuration).");

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(envExample))
        {
            var match = EnvExampleLine().Match(line);
            if (match.Success)
            {
                known.Add(match.Groups[1].Value);
            }
        }
        known.UnionWith(SetByDeployment());

        var variables = CodeSpans().SelectMany(s => s.Split(", ")).Where(IsVariableName).Distinct().ToList();
        Assert.True(variables.Count >= 10, $"Expected the README to name variables, found: {string.Join(", ", variables)}");
        var unknown = variables.Where(v => !known.Contains(v)).ToList();
        Assert.True(unknown.Count == 0,
            $"deploy/README.md names variables that neither .env.example lists nor the deployment sets: {string.Join(", ", unknown)}");
    }

    /// <summary>Names the deployment files define: app settings, image ENV, script inputs, workflow vars/secrets, Worker bindings.</summary>
    private static HashSet<string> SetByDeployment()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Repo.PathOf("infra"), "*.bicep*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            names.UnionWith(BicepSettingName().Matches(text).Select(m => m.Groups[1].Value));
            names.UnionWith(BicepEnvironmentRead().Matches(text).Select(m => m.Groups[1].Value));
        }
        foreach (var script in new[] { "deploy/docker/entrypoint.sh", "deploy/koyeb/deploy.sh", "deploy/scripts/smoke-test.sh" })
        {
            names.UnionWith(ShellVariable().Matches(Repo.ReadText(script)).Select(m => m.Groups[1].Value));
        }
        foreach (Match env in DockerEnv().Matches(Repo.ReadText("deploy/docker/Dockerfile")))
        {
            names.UnionWith(DockerEnvName().Matches(env.Value).Select(m => m.Groups[1].Value));
        }
        foreach (var workflow in Directory.EnumerateFiles(Repo.PathOf(".github/workflows"), "*.yml"))
        {
            names.UnionWith(WorkflowReference().Matches(File.ReadAllText(workflow)).Select(m => m.Groups[1].Value));
        }
        names.UnionWith(TomlKey().Matches(Repo.ReadText("deploy/cloudflare/wrangler.toml")).Select(m => m.Groups[1].Value));
        names.UnionWith(WorkerBinding().Matches(Repo.ReadText("deploy/cloudflare/src/index.ts")).Select(m => m.Groups[1].Value));
        return names;
    }

    private static IEnumerable<string> CodeSpans()
    {
        var readme = Repo.ReadText("deploy/README.md");
        var prose = FencedBlock().Replace(readme, "");
        return CodeSpan().Matches(prose).Select(m => m.Groups[1].Value.Trim());
    }

    private static bool IsVariableName(string token) =>
        UpperVariable().IsMatch(token) || token.StartsWith("AzureWebJobs", StringComparison.Ordinal) && !token.Contains(' ', StringComparison.Ordinal);

    [GeneratedRegex(@"```.*?```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"`([^`\n]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^[A-Z][A-Z0-9]*(?:_+[A-Za-z0-9]+)+$")]
    private static partial Regex UpperVariable();

    [GeneratedRegex(@"^\s*#?\s*([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex EnvExampleLine();

    [GeneratedRegex(@"name: '([A-Za-z_][A-Za-z0-9_]*)'")]
    private static partial Regex BicepSettingName();

    [GeneratedRegex(@"readEnvironmentVariable\('([A-Za-z_][A-Za-z0-9_]*)'")]
    private static partial Regex BicepEnvironmentRead();

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ShellVariable();

    [GeneratedRegex(@"^ENV (?:.*\\\n)*.*$", RegexOptions.Multiline)]
    private static partial Regex DockerEnv();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex DockerEnvName();

    [GeneratedRegex(@"\b(?:vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex WorkflowReference();

    [GeneratedRegex(@"^([A-Z][A-Z0-9_]*) = ", RegexOptions.Multiline)]
    private static partial Regex TomlKey();

    [GeneratedRegex(@"^\s+([A-Z][A-Z0-9_]*)\??: string;", RegexOptions.Multiline)]
    private static partial Regex WorkerBinding();
}
