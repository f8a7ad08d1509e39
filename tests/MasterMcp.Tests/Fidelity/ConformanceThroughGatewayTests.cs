using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// The official conformance suite three ways: straight at the ConformanceServer, through the gateway with
/// <c>prefix: ""</c> (names unchanged, so every scenario applies), and through the gateway with the default prefix for the
/// scenarios that do not depend on names. Every check that passes directly must pass through the gateway, with no new
/// warnings; the only tolerated differences are the suite's own baseline (<see cref="ConformanceDirectTests.KnownFailures"/>),
/// which lists checks that already fail directly.
/// </summary>
public sealed class ConformanceThroughGatewayTests(ConformanceServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ConformanceServerFixture>
{
    /// <summary>Scenarios whose checks do not look at tool, prompt or resource names.</summary>
    private static readonly string[] NameIndependent =
        ["server-initialize", "logging-set-level", "ping", "server-sse-multiple-streams", "server-sse-polling", "dns-rebinding-protection"];

    [Fact]
    public async Task EveryCheckPassingDirectly_PassesThroughTheGateway_WithNoNewWarnings()
    {
        var runner = ConformanceRunner.Locate();
        var listed = await runner.ListServerScenariosAsync();

        // The gateways keep their state in Table Storage (Azurite), as in production; each has its own tables.
        await using var azurite = await AzuriteFixture.StartNewAsync();
        await using var unprefixed = await StartGatewayAsync(azurite, prefix: "");
        await using var prefixed = await StartGatewayAsync(azurite, prefix: null);

        var directTask = runner.RunServerAsync(fixture.Server.McpUrl.ToString(), new ConformanceRunOptions { Suite = "all" });
        var unprefixedTask = runner.RunServerAsync(LocalhostUrl(unprefixed), new ConformanceRunOptions { Suite = "all" });
        var direct = await directTask;
        var through = await unprefixedTask;
        var prefixedRuns = new List<ConformanceRunResult>();
        foreach (var scenario in NameIndependent)
        {
            prefixedRuns.Add(await runner.RunServerAsync(LocalhostUrl(prefixed), new ConformanceRunOptions { Scenario = scenario }));
        }
        var prefixedChecks = prefixedRuns.SelectMany(r => r.Checks).Where(c => !c.IsInformational).ToDictionary(c => c.Key, c => c.Status, StringComparer.Ordinal);

        output.WriteLine(Table(direct, through, prefixedChecks));
        output.WriteLine($"scenarios run: direct {direct.Scenarios.Count(s => s.Ran)}, through gateway (prefix \"\") {through.Scenarios.Count(s => s.Ran)}, "
            + $"through gateway (default prefix) {prefixedRuns.SelectMany(r => r.Scenarios).Count(s => s.Ran)}");

        Assert.Equal(listed.Count, direct.Scenarios.Count(s => s.Ran));
        Assert.Equal(listed.Count, through.Scenarios.Count(s => s.Ran));
        Assert.Equal(NameIndependent.Length, prefixedRuns.SelectMany(r => r.Scenarios).Count(s => s.Ran));

        var regressions = Regressions(direct, [("prefix \"\"", through.Verdicts, null), ("default prefix", prefixedChecks, NameIndependent)]);
        foreach (var (key, status) in through.Verdicts.Where(v => !direct.Verdicts.ContainsKey(v.Key) && v.Value != ConformanceCheck.Success))
        {
            regressions.Add($"{key}: {status} through the gateway only");
        }
        Assert.True(regressions.Count == 0, "Differences from the direct run:\n" + string.Join("\n", regressions));
    }

    [Fact]
    public async Task EveryCheckPassingDirectly_PassesThroughAVirtualServerThatIncludesEverything()
    {
        var runner = ConformanceRunner.Locate();
        var listed = await runner.ListServerScenariosAsync();
        await using var azurite = await AzuriteFixture.StartNewAsync();
        await using var gateway = await StartGatewayAsync(azurite, prefix: "", virtualServer: "everything");

        var directTask = runner.RunServerAsync(fixture.Server.McpUrl.ToString(), new ConformanceRunOptions { Suite = "all" });
        var throughTask = runner.RunServerAsync($"http://localhost:{gateway.BaseUrl.Port}/mcp/everything", new ConformanceRunOptions { Suite = "all" });
        var direct = await directTask;
        var through = await throughTask;
        output.WriteLine(Table(direct, through, new Dictionary<string, string>()));

        Assert.Equal(listed.Count, through.Scenarios.Count(s => s.Ran));
        var regressions = Regressions(direct, [("virtual server /mcp/everything", through.Verdicts, null)]);
        foreach (var (key, status) in through.Verdicts.Where(v => !direct.Verdicts.ContainsKey(v.Key) && v.Value != ConformanceCheck.Success))
        {
            regressions.Add($"{key}: {status} through the virtual server only");
        }
        Assert.True(regressions.Count == 0, "Differences from the direct run:\n" + string.Join("\n", regressions));
    }

    /// <summary>
    /// Every check that differs from the direct run in one of <paramref name="ways"/> (each limited to some scenarios, or
    /// null for all), and every check failing directly that is not in the suite's known baseline.
    /// </summary>
    internal static List<string> Regressions(ConformanceRunResult direct, IEnumerable<(string Way, IReadOnlyDictionary<string, string> Verdicts, string[]? Scenarios)> ways)
    {
        var regressions = new List<string>();
        var list = ways.ToList();
        foreach (var (key, status) in direct.Verdicts)
        {
            var baseline = ConformanceDirectTests.KnownFailures.TryGetValue(key, out var known) && known.Status == status;
            if (status != ConformanceCheck.Success && !baseline)
            {
                regressions.Add($"{key}: {status} directly (not in the baseline)");
            }
            foreach (var (way, verdicts, scenarios) in list)
            {
                if (scenarios is not null && !scenarios.Contains(key.Split('/')[0]))
                {
                    continue;
                }
                var other = verdicts.GetValueOrDefault(key, "(absent)");
                if (other != status)
                {
                    regressions.Add($"{key}: {status} directly, {other} through the gateway ({way})");
                }
            }
        }
        return regressions;
    }

    private async Task<GatewayInstance> StartGatewayAsync(AzuriteFixture azurite, string? prefix, string? virtualServer = null)
    {
        var server = new JsonObject { ["id"] = "conformance", ["url"] = fixture.Server.McpUrl.ToString(), ["transport"] = "streamable_http" };
        if (prefix is not null)
        {
            server["prefix"] = prefix;
        }
        var config = new JsonObject
        {
            ["servers"] = new JsonArray(server),
            ["storage"] = new JsonObject { ["table_prefix"] = "conf" + (virtualServer ?? (prefix is null ? "prefixed" : "unprefixed")) },
        };
        if (virtualServer is not null)
        {
            config["virtual_servers"] = new JsonArray(new JsonObject { ["name"] = virtualServer, ["include"] = new JsonArray("*") });
        }
        return await GatewayInstance.StartAsync(config, azurite.ConnectionString);
    }

    // dns-rebinding-protection tests whoever answers at the URL (the gateway) and needs a localhost URL.
    private static string LocalhostUrl(GatewayInstance gateway) => $"http://localhost:{gateway.BaseUrl.Port}/mcp";

    private static string Table(ConformanceRunResult direct, ConformanceRunResult through, IReadOnlyDictionary<string, string> prefixed)
    {
        var keys = direct.Verdicts.Keys.Union(through.Verdicts.Keys).Order(StringComparer.Ordinal).ToList();
        var width = Math.Max(10, keys.Max(k => k.Length));
        var text = new StringBuilder();
        text.AppendLine($"{"check".PadRight(width)}  {"direct",-8}  {"gw(\"\")",-8}  gw(prefix)");
        foreach (var key in keys)
        {
            text.AppendLine($"{key.PadRight(width)}  {direct.Verdicts.GetValueOrDefault(key, "-"),-8}  {through.Verdicts.GetValueOrDefault(key, "-"),-8}  {prefixed.GetValueOrDefault(key, "-")}");
        }
        return text.ToString();
    }
}
