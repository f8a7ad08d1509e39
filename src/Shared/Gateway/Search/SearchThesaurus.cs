namespace MasterMcp.Gateway.Search;

/// <summary>
/// Words users say for what tool texts call otherwise ("folder" for directory, "ticket" for issue, "PR" for pull
/// request). A query word also matches the other words of its groups, at <see cref="ToolIndexSettings.SynonymWeight"/>
/// of a literal match.
/// A small hand-written list of everyday software vocabulary: see docs/design.md (Search mode) for how it was
/// written and how much it changes the measured ranking.
/// </summary>
public static class SearchThesaurus
{
    // Each line is one group of interchangeable words or phrases.
    private static readonly string[][] Groups =
    [
        ["folder", "directory", "dir"],
        ["file", "document", "doc"],
        ["issue", "ticket", "bug"],
        ["pull request", "pr", "merge request"],
        ["repository", "repo"],
        ["search", "find", "look up", "lookup", "query"],
        ["list", "show", "enumerate"],
        ["get", "fetch", "retrieve", "read", "load", "show"],
        ["delete", "remove", "drop", "forget", "erase"],
        ["create", "make", "new", "add", "start"],
        ["update", "change", "modify", "edit"],
        ["send", "post", "publish"],
        ["message", "note", "post"],
        ["chat", "message", "channel"],
        ["channel", "room"],
        ["user", "member", "account", "person", "people", "teammate"],
        ["entity", "person", "people", "thing"],
        ["relation", "link", "relationship", "connection"],
        ["observation", "fact", "note"],
        ["remember", "memory", "store"],
        ["history", "recent", "log"],
        ["web", "internet", "online"],
        ["repeat", "echo"],
        ["sum", "total", "add"],
        ["long", "slow"],
        ["operation", "task", "job"],
        ["reaction", "emoji"],
        ["place", "venue", "shop", "business", "restaurant"],
        ["location", "coordinate", "latitude", "longitude", "position"],
        ["elevation", "altitude", "height", "high"],
        ["review", "approve", "reject"],
        ["merge", "land"],
        ["push", "commit", "upload"],
        ["profile", "detail", "info", "information"],
        ["move", "rename"],
        ["image", "picture", "photo"],
        ["compress", "zip"],
        ["size", "big", "large"],
        ["content", "text", "written"],
        ["click", "press", "tap"],
        ["fill", "type", "enter"],
        ["hover", "mouse"],
        ["navigate", "open", "visit", "go"],
        ["script", "javascript", "code"],
        ["environment", "variable", "env"],
        ["problem", "reason", "think"],
    ];

    private static readonly Dictionary<string, List<string[]>> ByTerm = Build();

    /// <summary>
    /// What a query word or two-word phrase (stemmed terms joined by one space) also matches: each alternative a list
    /// of stemmed terms; null when the thesaurus does not know it.
    /// </summary>
    public static IReadOnlyList<string[]>? Alternatives(string key) => ByTerm.GetValueOrDefault(key);

    private static Dictionary<string, List<string[]>> Build()
    {
        var map = new Dictionary<string, List<string[]>>(StringComparer.Ordinal);
        foreach (var group in Groups)
        {
            var phrases = group.Select(p => SearchTokenizer.Terms(p).ToArray()).Where(p => p.Length > 0).ToList();
            foreach (var phrase in phrases)
            {
                var key = string.Join(' ', phrase);
                if (!map.TryGetValue(key, out var list))
                {
                    map[key] = list = [];
                }
                list.AddRange(phrases.Where(other => !other.SequenceEqual(phrase) && !list.Any(l => l.SequenceEqual(other))));
            }
        }
        return map;
    }
}
