using System.Text.RegularExpressions;
using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Foundation;

/// <summary>The variables documented in docs/configuration.md (and README.md's table, once it has one) are exactly those in .env.example.</summary>
public sealed partial class ConfigurationDocsTests
{
    [GeneratedRegex(@"^\|\s*`(?<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex TableRowVariable();

    [GeneratedRegex(@"^\s*#?\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex EnvExampleVariable();

    private static SortedSet<string> TableVariables(string markdown)
    {
        // Only the variables table: the one whose header starts with "Variable".
        var start = markdown.IndexOf("| Variable |", StringComparison.Ordinal);
        Assert.True(start >= 0, "no '| Variable |' table found");
        var end = markdown.IndexOf("\n\n", start, StringComparison.Ordinal);
        var table = end < 0 ? markdown[start..] : markdown[start..end];
        return new SortedSet<string>(TableRowVariable().Matches(table).Select(m => m.Groups["name"].Value), StringComparer.Ordinal);
    }

    private static SortedSet<string> EnvExampleVariables() =>
        new(EnvExampleVariable().Matches(File.ReadAllText(Path.Combine(RepoPaths.Root, ".env.example"))).Select(m => m.Groups["name"].Value), StringComparer.Ordinal);

    [Fact]
    public void DocsTable_ListsExactlyTheVariablesOfEnvExample()
    {
        var documented = TableVariables(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "configuration.md")));

        Assert.Equal(EnvExampleVariables(), documented);
    }

    [Fact]
    public void ReadmeTable_ListsExactlyTheVariablesOfEnvExample()
    {
        // The README's configuration table is what newcomers read: it must exist and be complete.
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        Assert.Contains("| `MASTER_HOSTING_PORT` |", readme, StringComparison.Ordinal);

        Assert.Equal(EnvExampleVariables(), TableVariables(readme));
    }

    [Fact]
    public void EnvExample_CoversEveryNamedVariableOfTheLoader_AndHasNoActiveAssignments()
    {
        var variables = EnvExampleVariables();
        foreach (var (variable, _) in ConfigurationLoader.NamedVariables)
        {
            Assert.Contains(variable, variables);
        }
        foreach (var name in new[] { "MASTER_ENV", "MASTER_CONFIG_PATH", "APP_VERSION", "AzureWebJobsStorage", "TOKEN_ENC_KEY", "AZURE_CLIENT_ID" })
        {
            Assert.Contains(name, variables);
        }

        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".env.example"));
        Assert.All(lines, line => Assert.True(line.Length == 0 || line.StartsWith('#'), $"not commented out: {line}"));
    }

    [Fact]
    public void DocsTable_GenericVariables_NameSettingsThatExistInTheSchema()
    {
        var schema = ConfigSchema.Load(RepoPaths.Root);
        foreach (var variable in TableVariables(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "configuration.md"))).Where(v => v.StartsWith("MASTER__", StringComparison.Ordinal)))
        {
            var path = string.Join('.', variable["MASTER__".Length..].Split("__"));
            Assert.True(schema.TypesAt(path).Count > 0 || path == "auth.mode", $"{variable}: '{path}' is not in config/schema.json");
        }
    }
}
