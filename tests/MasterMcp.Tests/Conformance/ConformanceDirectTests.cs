using Xunit.Abstractions;

namespace MasterMcp.Tests.Conformance;

/// <summary>
/// Runs every server scenario of the official conformance suite straight against our C# ConformanceServer:
/// the reference a gateway run is diffed against.
/// </summary>
public sealed class ConformanceDirectTests(ConformanceServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<ConformanceServerFixture>
{
    /// <summary>
    /// Checks known not to pass (WARNING counts as not passing here, unlike in the suite), keyed
    /// <c>scenario/check</c>, with the status we expect and why.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (string Status, string Reason)> KnownFailures =
        new Dictionary<string, (string, string)>
        {
            ["server-sse-polling/server-sse-retry-field"] = (ConformanceCheck.Warning,
                "Suite bug: after negotiating 2025-11-25 it sends its hand-made tools/call with mcp-protocol-version: 2025-03-26; "
                + "SDK 2.4.0 rejects the version change within a session (-32600), so test_reconnection never runs and no retry field is sent."),
            ["server-sse-polling/server-sse-disconnect-resume"] = (ConformanceCheck.Warning,
                "Same suite bug: the tools/call was rejected with -32600, so there is no tool response to resume via GET + Last-Event-ID."),
        };

    [Fact]
    public async Task AllServerScenarios_PassDirectly_ExceptKnownBaseline()
    {
        var runner = ConformanceRunner.Locate();
        var listed = await runner.ListServerScenariosAsync();

        var result = await runner.RunServerAsync(fixture.Server.McpUrl.ToString(), new ConformanceRunOptions { Suite = "all" });

        output.WriteLine($"Conformance suite against {result.Url}: {result.Scenarios.Count} scenarios, "
            + $"{result.Checks.Count()} checks, exit code {result.ExitCode}, {result.Duration.TotalSeconds:F1} s, results in {result.OutputDirectory}");
        output.WriteLine(result.FormatTable());

        Assert.Equal(listed, result.Scenarios.Select(s => s.Scenario));
        Assert.All(result.Scenarios, s => Assert.True(s.Ran && s.Checks.Count > 0, $"{s.Scenario} reported no checks"));

        var unexpected = result.Checks
            .Where(c => !c.Passed && !(KnownFailures.TryGetValue(c.Key, out var known) && known.Status == c.Status))
            .Select(c => $"{c.Key}: {c.Status} {c.Message}")
            .ToList();
        var stale = KnownFailures
            .Where(k => !result.ChecksByKey.TryGetValue(k.Key, out var check) || check.Status != k.Value.Status)
            .Select(k => $"{k.Key}: expected {k.Value.Status}, got {(result.ChecksByKey.TryGetValue(k.Key, out var c) ? c.Status : "(absent)")}")
            .ToList();

        Assert.True(unexpected.Count == 0, "Unexpected conformance failures:\n" + string.Join("\n", unexpected) + "\n\nServer output:\n" + fixture.Server.Output);
        Assert.True(stale.Count == 0, "Baseline entries that no longer match (update KnownFailures):\n" + string.Join("\n", stale));
    }
}
