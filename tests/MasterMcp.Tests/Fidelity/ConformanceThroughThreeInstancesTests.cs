using System.Text.Json.Nodes;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// The official conformance suite through three instances behind a round-robin balancer without affinity: every check
/// that passes straight at the ConformanceServer passes, with no new warnings (the scenarios with logging, sampling and
/// elicitation are the ones that need a session's requests to reach its owner).
/// </summary>
public sealed class ConformanceThroughThreeInstancesTests(ConformanceServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ConformanceServerFixture>
{
    [Fact]
    public async Task EveryCheckPassingDirectly_PassesThroughThreeInstances_WithNoNewWarnings()
    {
        var runner = ConformanceRunner.Locate();
        var listed = await runner.ListServerScenariosAsync();
        await using var cluster = await GatewayCluster.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "conformance", ["url"] = fixture.Server.McpUrl.ToString(), ["transport"] = "streamable_http", ["prefix"] = "" }),
        });

        var direct = await runner.RunServerAsync(fixture.Server.McpUrl.ToString(), new ConformanceRunOptions { Suite = "all" });
        // dns-rebinding-protection tests whoever answers at the URL and needs a localhost URL.
        var through = await runner.RunServerAsync($"http://localhost:{cluster.BaseUrl.Port}/mcp", new ConformanceRunOptions { Suite = "all" });
        foreach (var key in direct.Verdicts.Keys.Union(through.Verdicts.Keys).Order(StringComparer.Ordinal))
        {
            output.WriteLine($"{key}: direct {direct.Verdicts.GetValueOrDefault(key, "-")}, three instances {through.Verdicts.GetValueOrDefault(key, "-")}");
        }

        Assert.Equal(listed.Count, direct.Scenarios.Count(s => s.Ran));
        Assert.Equal(listed.Count, through.Scenarios.Count(s => s.Ran));
        var regressions = ConformanceThroughGatewayTests.Regressions(direct, [("three instances", through.Verdicts, null)]);
        regressions.AddRange(through.Verdicts.Where(v => !direct.Verdicts.ContainsKey(v.Key) && v.Value != ConformanceCheck.Success).Select(v => $"{v.Key}: {v.Value} through three instances only"));
        Assert.True(regressions.Count == 0, "Differences from the direct run:\n" + string.Join("\n", regressions));
    }
}
