using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Gateway;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Scaleout;

/// <summary>
/// A client's GET stream, cut after its second event, resumes with Last-Event-ID and delivers every later event exactly
/// once and in order — the ones sent while it was cut included — on one instance and through another instance.
/// Events are log messages the SampleServer sends on demand (tool log_all_levels, client level critical: one per call),
/// which the gateway relays to the client's GET stream.
/// </summary>
public sealed class ResumableStreamTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task GetStream_CutAfterSecondEvent_ResumesOnOneInstance_WithEveryLaterEventExactlyOnce()
    {
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        await using var gateway = await GatewayInstance.StartAsync(Config(sample));
        using var http = new HttpClient();
        var session = new RawMcpSession(http, gateway.McpUrl, token: null);
        await CutAndResumeAsync(session, gateway.Services.GetRequiredService<SessionEventStreams>(), openAt: null, resumeAt: gateway.McpUrl);
    }

    [Fact]
    public async Task GetStream_CutAfterSecondEvent_ResumesThroughAnotherInstance_WithEveryLaterEventExactlyOnce()
    {
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        await using var cluster = await GatewayCluster.StartAsync(Config(sample));
        using var http = new HttpClient();
        // The session begins on the first instance; its stream is opened through the second and resumed through the third
        // (both carry it to the owner); every other request goes through the balancer.
        var owner = cluster.Instances[0];
        var session = new RawMcpSession(http, cluster.McpUrl, token: null);
        await session.InitializeAsync(initializeAt: owner.McpUrl);
        await CutAndResumeAsync(session, owner.Services.GetRequiredService<SessionEventStreams>(), openAt: cluster.Instances[1].McpUrl, resumeAt: cluster.Instances[2].McpUrl);
    }

    [Fact]
    public async Task GetStream_ResumedAfterMoreEventsThanTheBufferHolds_IsRefusedWithTheReason_NotReplayedWithAGap()
    {
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        var config = Config(sample);
        config["sessions"] = new JsonObject { ["stream_buffer_events"] = 3 };
        await using var gateway = await GatewayInstance.StartAsync(config);
        using var http = new HttpClient();
        using var timeout = new CancellationTokenSource(Patience);
        var session = new RawMcpSession(http, gateway.McpUrl, token: null);
        await session.InitializeAsync();
        await CallAsync(session, "logging/setLevel", new JsonObject { ["level"] = "critical" });
        string cutAfter;
        using (var first = await session.GetStreamAsync(cancellationToken: timeout.Token))
        {
            var events = new SseEventReader(await first.Content.ReadAsStreamAsync(timeout.Token));
            await events.NextAsync(timeout.Token);
            await LogAsync(session, "e1");
            cutAfter = (await NextTaggedAsync(events, timeout.Token)).Id!;
        }
        // Four events while cut: with three kept, the first of them is gone.
        var streams = gateway.Services.GetRequiredService<SessionEventStreams>();
        foreach (var tag in new[] { "e2", "e3", "e4", "e5" })
        {
            await LogAsync(session, tag);
        }
        await RelayScenarios.Eventually(() => streams.Check(cutAfter, session.SessionId) == SessionEventStreams.Resumption.EventsLost);

        using var resumed = await session.GetStreamAsync(cutAfter, cancellationToken: timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, resumed.StatusCode);
        var error = JsonNode.Parse(await resumed.Content.ReadAsStringAsync(timeout.Token))!["error"]!;
        Assert.Contains("events after this Last-Event-ID were dropped", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("sessions.stream_buffer_events", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task CutAndResumeAsync(RawMcpSession session, SessionEventStreams ownerStreams, Uri? openAt, Uri resumeAt)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var ct = timeout.Token;
        if (session.SessionId.Length == 0)
        {
            await session.InitializeAsync();
        }
        await CallAsync(session, "logging/setLevel", new JsonObject { ["level"] = "critical" });

        string cutAfter;
        using (var first = await session.GetStreamAsync(url: openAt, cancellationToken: ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var events = new SseEventReader(await first.Content.ReadAsStreamAsync(ct));
            var priming = await events.NextAsync(ct);
            Assert.NotNull(priming?.Id);
            await LogAsync(session, "e1");
            Assert.Equal("e1", Tag(await NextTaggedAsync(events, ct)));
            await LogAsync(session, "e2");
            var second = await NextTaggedAsync(events, ct);
            Assert.Equal("e2", Tag(second));
            cutAfter = second.Id!;
        }

        // Emitted while no stream is open: the owner holds them before the client comes back.
        await LogAsync(session, "e3");
        await LogAsync(session, "e4");
        await RelayScenarios.Eventually(() => ownerStreams.CountAfter(cutAfter) >= 2);

        using var resumed = await session.GetStreamAsync(cutAfter, resumeAt, ct);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var later = new SseEventReader(await resumed.Content.ReadAsStreamAsync(ct));
        var seen = new List<SseEventReader.Event>();
        var readTo = async (string tag) =>
        {
            while (true)
            {
                var next = await later.NextAsync(ct) ?? throw new InvalidOperationException("the resumed stream ended; seen: " + string.Join(",", seen.Select(Tag)));
                seen.Add(next);
                if (Tag(next) == tag)
                {
                    return;
                }
            }
        };
        await readTo("e4");
        // Emitted after the resumption: the resumed stream carries on live.
        var live = System.Diagnostics.Stopwatch.StartNew();
        await LogAsync(session, "e5");
        await LogAsync(session, "e6");
        await readTo("e6");
        // A figure for the report, not an assertion: the resumed stream is woken by each write (no polling interval).
        output.WriteLine($"two calls and their events on the resumed stream: {live.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine(string.Join("\n", seen.Select(e => $"{e.Id} {e.Data}")));
        Assert.Equal(["e3", "e4", "e5", "e6"], seen.Select(Tag).Where(t => t is not null));
        Assert.Equal(seen.Count, seen.Select(e => e.Id).Distinct().Count());
    }

    private static JsonObject Config(TestServerProcess sample) => new()
    {
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = sample.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
    };

    private static async Task<SseEventReader.Event> NextTaggedAsync(SseEventReader events, CancellationToken ct)
    {
        while (true)
        {
            var next = await events.NextAsync(ct) ?? throw new InvalidOperationException("the stream ended");
            if (Tag(next) is not null)
            {
                return next;
            }
        }
    }

    /// <summary>The tag of a log message event (its data is "tag Critical"), or null for any other event.</summary>
    private static string? Tag(SseEventReader.Event e) =>
        e.Data.Length > 0 && JsonNode.Parse(e.Data) is JsonObject message && message["method"]?.GetValue<string>() == "notifications/message"
            ? message["params"]?["data"]?.ToString().Split(' ')[0]
            : null;

    private static Task LogAsync(RawMcpSession session, string tag) =>
        CallAsync(session, "tools/call", new JsonObject { ["name"] = "sample__log_all_levels", ["arguments"] = new JsonObject { ["tag"] = tag } });

    private static async Task CallAsync(RawMcpSession session, string method, JsonObject parameters)
    {
        using var response = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 100, ["method"] = method, ["params"] = parameters });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await RawMcpSession.ReadUntilAsync(response, m => m["id"] is not null);
        Assert.Null(answer["error"]);
    }
}
