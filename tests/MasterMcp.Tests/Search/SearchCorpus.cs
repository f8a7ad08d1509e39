using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Search;

/// <summary>The committed ranking corpus (tools of real MCP servers) and the user-phrased queries written for it.</summary>
public static partial class SearchCorpus
{
    /// <summary>Folder holding tools.json and queries.json.</summary>
    public static string Folder => Path.Combine(RepositoryRoot.Path, "tests", "MasterMcp.Tests", "Search", "corpus");

    /// <summary>Every corpus tool keyed by its gateway-style name <c>{serverId}__{toolName}</c>, in file order.</summary>
    public static IReadOnlyList<CorpusTool> LoadTools()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "tools.json")))!;
        var tools = new List<CorpusTool>();
        foreach (var server in root["servers"]!.AsArray())
        {
            var id = (string)server!["id"]!;
            foreach (var tool in server["tools"]!.AsArray())
            {
                tools.Add(new CorpusTool(id, $"{id}__{(string)tool!["name"]!}", tool.AsObject()));
            }
        }

        return tools;
    }

    /// <summary>The committed queries.</summary>
    public static IReadOnlyList<CorpusQuery> LoadQueries()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "queries.json")))!;
        return [.. root["queries"]!.AsArray().Select(q => new CorpusQuery((string)q!["query"]!, (string)q["tool"]!, (string)q["set"]!))];
    }

    /// <summary>
    /// Tokens as the no-reuse rule counts them: split on non-alphanumerics and camelCase, lowercased, a trailing
    /// "s" dropped from tokens longer than three letters.
    /// </summary>
    public static IReadOnlySet<string> RuleTokens(string text) =>
        CamelBoundary().Replace(text, "$1 $2")
            .ToLowerInvariant()
            .Split(NonAlphanumeric(), StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Length > 3 && t.EndsWith('s') ? t[..^1] : t)
            .ToHashSet();

    private static char[] NonAlphanumeric() =>
        [.. Enumerable.Range(0, 128).Select(i => (char)i).Where(c => !char.IsAsciiLetterOrDigit(c))];

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex CamelBoundary();
}

/// <summary>One corpus tool: its server id, its corpus key and the server's own tool JSON.</summary>
public sealed record CorpusTool(string ServerId, string Key, JsonObject Json);

/// <summary>One user-phrased request and the corpus key of the tool meant to serve it.</summary>
public sealed record CorpusQuery(string Query, string Tool, string Set);
