namespace MasterMcp.Tests.Search;

/// <summary>The corpus and queries are what the issue asks for, and the queries do not give their answer away.</summary>
public sealed class SearchCorpusTests
{
    [Fact]
    public void Corpus_HoldsAtLeastSixtyToolsFromAtLeastFourServers_WithUniqueKeysAndSchemas()
    {
        var tools = SearchCorpus.LoadTools();

        Assert.True(tools.Count >= 60, $"{tools.Count} tools");
        Assert.True(tools.Select(t => t.ServerId).Distinct().Count() >= 4);
        Assert.Equal(tools.Count, tools.Select(t => t.Key).Distinct().Count());
        Assert.All(tools, t => Assert.Equal("object", (string?)t.Json["inputSchema"]?["type"]));
    }

    [Fact]
    public void Queries_AreAtLeastFifty_AndEachNamesACorpusTool()
    {
        var keys = SearchCorpus.LoadTools().Select(t => t.Key).ToHashSet();
        var queries = SearchCorpus.LoadQueries();

        Assert.True(queries.Count >= 50, $"{queries.Count} queries");
        Assert.All(queries, q => Assert.Contains(q.Tool, keys));
        Assert.All(queries, q => Assert.Contains(q.Set, new[] { "dev", "holdout" }));
    }

    [Fact]
    public void Queries_NeverReuseATokenOfTheirTargetsName()
    {
        var offenders = SearchCorpus.LoadQueries()
            .Select(q => (q, shared: SearchCorpus.RuleTokens(q.Query).Intersect(SearchCorpus.RuleTokens(q.Tool)).ToList()))
            .Where(x => x.shared.Count > 0)
            .Select(x => $"'{x.q.Query}' reuses [{string.Join(", ", x.shared)}] of {x.q.Tool}")
            .ToList();

        Assert.Empty(offenders);
    }

    [Theory]
    [InlineData("get_pull_request_files", new[] { "get", "pull", "request", "file" })]
    [InlineData("everything__get-tiny-image", new[] { "everything", "get", "tiny", "image" })]
    [InlineData("sequentialThinking nextThoughtNeeded", new[] { "sequential", "thinking", "next", "thought", "needed" })]
    [InlineData("as is", new[] { "as", "is" })]
    public void RuleTokens_SplitOnSeparatorsAndCamelCase_AndFoldPlurals(string text, string[] expected) =>
        Assert.Equal(expected.ToHashSet(), SearchCorpus.RuleTokens(text));
}
