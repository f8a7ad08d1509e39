using System.Text.RegularExpressions;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>Every shell script and every bash block in deploy/README.md passes shellcheck.</summary>
public sealed partial class ShellScriptTests
{
    private const string InstallHint = "Install it with `apt-get install -y shellcheck` (CI installs it before the tests).";

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in ScriptPaths())
        {
            data.Add(file);
        }
        return data;
    }

    private static List<string> ScriptPaths() =>
        new[] { "deploy", "infra", "scripts", ".ci" }
            .Select(Repo.PathOf)
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/node_modules/", StringComparison.Ordinal) && !f.Contains("/.wrangler/", StringComparison.Ordinal))
            .Where(IsShellScript)
            .Select(f => Path.GetRelativePath(Repo.Root, f))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void ScriptsFound_IncludeTheDeployScripts()
    {
        var scripts = ScriptPaths();
        Assert.Contains("deploy/docker/entrypoint.sh", scripts);
        Assert.Contains("deploy/koyeb/deploy.sh", scripts);
        Assert.Contains("deploy/scripts/smoke-test.sh", scripts);
        Assert.Contains(".ci/run", scripts);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_PassesShellcheck(string relative)
    {
        var shellcheck = Repo.OnPath("shellcheck", InstallHint);
        var result = await ProcessRunner.RunAsync(shellcheck, ["--external-sources", relative]);
        Assert.True(result.ExitCode == 0, $"shellcheck {relative}:\n{result.Output}");
        Assert.True((File.GetUnixFileMode(Repo.PathOf(relative)) & UnixFileMode.UserExecute) != 0, $"{relative} is not executable");
    }

    [Fact]
    public async Task ReadmeBashBlocks_PassShellcheck()
    {
        var shellcheck = Repo.OnPath("shellcheck", InstallHint);
        var readme = Repo.ReadText("deploy/README.md");
        var blocks = BashBlock().Matches(readme).Select(m => Dedent(m.Groups["body"].Value)).ToList();
        Assert.True(blocks.Count >= 5, $"Expected the README's bash blocks, found {blocks.Count}");

        var failures = new List<string>();
        var directory = Directory.CreateTempSubdirectory("readme-bash-");
        try
        {
            for (var i = 0; i < blocks.Count; i++)
            {
                var file = Path.Combine(directory.FullName, $"block{i + 1}.sh");
                await File.WriteAllTextAsync(file, "#!/usr/bin/env bash\n" + blocks[i]);
                var result = await ProcessRunner.RunAsync(shellcheck, [file]);
                if (result.ExitCode != 0)
                {
                    failures.Add($"bash block {i + 1}:\n{blocks[i]}\n{result.StdOut}");
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static bool IsShellScript(string path)
    {
        if (path.EndsWith(".sh", StringComparison.Ordinal))
        {
            return true;
        }
        using var reader = new StreamReader(path);
        var first = reader.ReadLine() ?? "";
        return first.StartsWith("#!", StringComparison.Ordinal) && (first.EndsWith("sh", StringComparison.Ordinal) || first.Contains("bash", StringComparison.Ordinal));
    }

    private static string Dedent(string block)
    {
        var lines = block.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart(' ')));
    }

    [GeneratedRegex(@"^[ ]*```bash\n(?<body>.*?)^[ ]*```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex BashBlock();
}
