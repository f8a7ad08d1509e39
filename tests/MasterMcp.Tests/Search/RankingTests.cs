using System.Globalization;
using System.Text.Json;
using MasterMcp.Configuration;
using MasterMcp.Gateway;
using MasterMcp.Gateway.Search;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Search;

/// <summary>
/// The ranking figure of issue 16 item 4: over the committed queries (written before the ranker), the share whose
/// intended tool is among the first five results of <see cref="ToolIndex"/> built over the whole committed corpus.
/// </summary>
public sealed class RankingTests(ITestOutputHelper output)
{
    internal static IReadOnlyList<CatalogTool> CorpusCatalog() =>
        [.. SearchCorpus.LoadTools().Select(t =>
        {
            var tool = t.Json.Deserialize<Tool>(McpJsonUtilities.DefaultOptions)!;
            tool.Name = t.Key;
            return new CatalogTool(t.Key, t.ServerId, (string)t.Json["name"]!, tool);
        })];

    [Fact]
    public void TopFiveHitRate_OverTheCommittedQueries_IsAtLeastNinetyPercent()
    {
        var index = new ToolIndex(CorpusCatalog());
        var queries = SearchCorpus.LoadQueries();
        var ranks = queries.Select(q =>
        {
            var results = index.Search(q.Query, index.Count);
            var rank = results.ToList().FindIndex(m => m.Tool.PublicName == q.Tool) + 1;
            return (q, rank, top: results.Take(3).Select(m => m.Tool.PublicName).ToList());
        }).ToList();

        foreach (var set in new[] { "dev", "holdout", "all" })
        {
            var of = ranks.Where(r => set == "all" || r.q.Set == set).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{set}: {of.Count} queries, top-1 {of.Count(r => r.rank == 1)}/{of.Count} = {Share(of, 1):P1}, top-5 {of.Count(r => r.rank is >= 1 and <= 5)}/{of.Count} = {Share(of, 5):P1}"));
        }
        foreach (var (q, rank, top) in ranks.Where(r => r.rank != 1))
        {
            output.WriteLine($"[{q.Set}] rank {(rank == 0 ? "-" : rank.ToString(CultureInfo.InvariantCulture))}: '{q.Query}' → {q.Tool}; first: {string.Join(", ", top)}");
        }

        Assert.True(Share(ranks, 5) >= 0.90, $"top-5 hit rate {Share(ranks, 5):P1}");
    }

    [Fact]
    public void ListedSchemas_InSearchMode_AreAFractionOfTheFullList()
    {
        var catalog = CorpusCatalog();
        var all = ListedBytes(ToolSearch.ListTools(ToolExposure.All, catalog));
        var search = ListedBytes(ToolSearch.ListTools(ToolExposure.Search, catalog));
        // What a client then pays per search: the answer of search_tools at the default limit, averaged over the queries.
        var answers = SearchCorpus.LoadQueries().Select(q => AnswerBytes(catalog, q.Query)).ToList();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tools/list of the corpus ({catalog.Count} tools): all {all} bytes, search {search} bytes ({(double)search / all:P1}); " +
            $"one search_tools answer (limit {ToolSearch.DefaultLimit}): mean {answers.Average():F0}, max {answers.Max()} bytes"));

        Assert.Equal(87, catalog.Count);
        Assert.True(search * 20 < all, $"search {search} bytes vs all {all}");
        Assert.True(answers.Average() * 5 < all, $"mean answer {answers.Average():F0} bytes vs all {all}");
    }

    private static int ListedBytes(IList<Tool> tools) =>
        JsonSerializer.SerializeToUtf8Bytes(new ListToolsResult { Tools = tools }, McpJsonUtilities.DefaultOptions).Length;

    private static int AnswerBytes(IReadOnlyList<CatalogTool> catalog, string query)
    {
        var result = ToolSearch.CallAsync(
            new CallToolRequestParams { Name = ToolSearch.SearchToolName, Arguments = new Dictionary<string, JsonElement> { ["query"] = JsonSerializer.SerializeToElement(query) } },
            catalog, (_, _) => throw new InvalidOperationException("search_tools never routes"), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return JsonSerializer.SerializeToUtf8Bytes(result, McpJsonUtilities.DefaultOptions).Length;
    }

    private static double Share(IReadOnlyCollection<(CorpusQuery q, int rank, List<string> top)> ranks, int k) =>
        (double)ranks.Count(r => r.rank >= 1 && r.rank <= k) / ranks.Count;
}
