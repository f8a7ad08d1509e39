using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Fidelity;

#pragma warning disable MCP9005 // These scenarios relay sampling, roots and logging: deprecated for 2026-07-28 (SEP-2577), relayed for earlier revisions.

/// <summary>
/// Everything between client and backend is relayed in both directions — progress, sampling, elicitation (form, URL and
/// the -32042 error), roots, logging, subscriptions, cancellation — with server-everything behind the gateway
/// (<c>every</c>, <c>everyhttp</c>), and the official C# SDK client in front. The same scenarios run against one gateway
/// (<see cref="RelayTests"/>) and against three instances behind a balancer without affinity (<see cref="ScaleoutRelayTests"/>).
/// </summary>
public abstract class RelayScenarios(IRelayTarget target)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task LongRunningOperation_DeliversProgress_ToTheCallingClient(string backend)
    {
        await using var client = await target.ConnectAsync(SessionClient());
        var seen = new ConcurrentQueue<ProgressNotificationValue>();
        var result = await client.CallToolAsync($"{backend}__trigger-long-running-operation",
            new Dictionary<string, object?> { ["duration"] = 0.6, ["steps"] = 3 }, new SyncProgress(seen.Enqueue));
        Assert.Contains("Long running operation completed", AggregationTests.Text(result), StringComparison.Ordinal);
        await Eventually(() => seen.Count >= 3);
        Assert.Equal([1f, 2f, 3f], seen.Select(p => p.Progress));
        Assert.All(seen, p => Assert.Equal(3f, p.Total));
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task ToolsForClientCapabilities_AppearOnlyForClientsThatHaveThem(string backend)
    {
        await using var plain = await target.ConnectAsync(SessionClient());
        await using var capable = await ConnectCapableAsync(new Recorder("c"));
        var plainTools = (await plain.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        var capableTools = (await capable.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        foreach (var conditional in new[] { "trigger-sampling-request", "trigger-elicitation-request", "trigger-url-elicitation", "get-roots-list" })
        {
            Assert.DoesNotContain($"{backend}__{conditional}", plainTools);
            Assert.Contains($"{backend}__{conditional}", capableTools);
        }
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task SamplingRequest_ReachesClientHandler_AndTheAnswerReachesTheBackend(string backend)
    {
        var recorder = new Recorder("client-one");
        await using var client = await ConnectCapableAsync(recorder);
        var result = await client.CallToolAsync($"{backend}__trigger-sampling-request", new Dictionary<string, object?> { ["prompt"] = "tell me", ["maxTokens"] = 20 });
        var text = AggregationTests.Text(result);
        Assert.Contains("sampled by client-one", text, StringComparison.Ordinal);
        Assert.Contains(recorder.Samplings, s => s.Contains("tell me", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task FormElicitation_ReachesClientHandler_AndTheAnswerReachesTheBackend(string backend)
    {
        var recorder = new Recorder("client-one");
        await using var client = await ConnectCapableAsync(recorder);
        var result = await client.CallToolAsync($"{backend}__trigger-elicitation-request");
        var text = AggregationTests.Text(result);
        Assert.Contains("client-one", text, StringComparison.Ordinal);
        Assert.Contains(recorder.Elicitations, e => e.Mode is null or "form");
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task UrlElicitation_ReachesClientHandler_WithTheUrlIntact(string backend)
    {
        var recorder = new Recorder("client-one");
        await using var client = await ConnectCapableAsync(recorder);
        var result = await client.CallToolAsync($"{backend}__trigger-url-elicitation",
            new Dictionary<string, object?> { ["url"] = "https://example.com/consent?x=1&y=2", ["elicitationId"] = "e-" + backend });
        Assert.Contains("User completed the URL elicitation flow", AggregationTests.Text(result), StringComparison.Ordinal);
        var seen = Assert.Single(recorder.Elicitations, e => e.Mode == "url");
        Assert.Equal("https://example.com/consent?x=1&y=2", seen.Url);
        Assert.Equal("e-" + backend, seen.ElicitationId);
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task UrlElicitationRequiredError_PassesThrough_WithItsData(string backend)
    {
        await using var client = await ConnectCapableAsync(new Recorder("c"));
        var error = await Assert.ThrowsAnyAsync<McpProtocolException>(() => client.CallToolAsync($"{backend}__trigger-url-elicitation",
            new Dictionary<string, object?> { ["url"] = "https://example.com/need", ["errorPath"] = true, ["elicitationId"] = Guid.NewGuid().ToString() }).AsTask());
        Assert.Equal(-32042, (int)error.ErrorCode);
        var required = Assert.IsType<UrlElicitationRequiredException>(error);
        var elicitation = Assert.Single(required.Elicitations);
        Assert.Equal("https://modelcontextprotocol.io", elicitation.Url);
        Assert.Equal("url", elicitation.Mode);
        Assert.False(string.IsNullOrEmpty(elicitation.ElicitationId));
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task RootsList_ReturnsTheClientsRoots_AndRootsChangesAreForwarded(string backend)
    {
        var recorder = new Recorder("client-one");
        await using var client = await ConnectCapableAsync(recorder);
        var result = await client.CallToolAsync($"{backend}__get-roots-list");
        Assert.Contains("file:///roots/client-one", AggregationTests.Text(result), StringComparison.Ordinal);

        var asked = recorder.RootsRequests;
        recorder.RootName = "client-one-changed";
        await client.SendNotificationAsync(NotificationMethods.RootsListChangedNotification);
        await Eventually(() => recorder.RootsRequests > asked);
        await Eventually(async () => AggregationTests.Text(await client.CallToolAsync($"{backend}__get-roots-list")).Contains("client-one-changed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task SimulatedLogging_DeliversLogMessages_ToTheClient(string backend)
    {
        await using var client = await ConnectCapableAsync(new Recorder("c"));
        var messages = new ConcurrentQueue<LoggingMessageNotificationParams>();
        await using var handler = client.RegisterNotificationHandler(NotificationMethods.LoggingMessageNotification, (n, _) =>
        {
            messages.Enqueue(n.Params.Deserialize<LoggingMessageNotificationParams>(McpJsonUtilities.DefaultOptions)!);
            return ValueTask.CompletedTask;
        });
        await client.SetLoggingLevelAsync(LoggingLevel.Debug);
        await client.CallToolAsync($"{backend}__toggle-simulated-logging");
        try
        {
            await Eventually(() => messages.Any(m => m.Data.ToString().Contains("-level message", StringComparison.OrdinalIgnoreCase) || m.Data.ToString().Contains("level-message", StringComparison.OrdinalIgnoreCase)));
        }
        finally
        {
            await client.CallToolAsync($"{backend}__toggle-simulated-logging");
        }
    }

    [Fact]
    public async Task LoggingLevel_SetByTheClient_IsWhatTheBackendFiltersBy()
    {
        await using var client = await ConnectCapableAsync(new Recorder("c"));
        var messages = new ConcurrentQueue<LoggingMessageNotificationParams>();
        await using var handler = client.RegisterNotificationHandler(NotificationMethods.LoggingMessageNotification, (n, _) =>
        {
            messages.Enqueue(n.Params.Deserialize<LoggingMessageNotificationParams>(McpJsonUtilities.DefaultOptions)!);
            return ValueTask.CompletedTask;
        });
        await client.SetLoggingLevelAsync(LoggingLevel.Warning);
        await client.CallToolAsync("sample__log_all_levels", new Dictionary<string, object?> { ["tag"] = "lv" });
        // Notifications of one call may travel on the call's stream and on the session's GET stream (through different
        // instances when scaled out), so wait for both ends of the expected range rather than for the last one sent.
        await Eventually(() => messages.Any(m => m.Data.ToString().Contains("lv Critical", StringComparison.Ordinal))
            && messages.Any(m => m.Level == LoggingLevel.Warning && m.Data.ToString().Contains("lv", StringComparison.Ordinal)));
        var levels = messages.Where(m => m.Data.ToString().Contains("lv", StringComparison.Ordinal)).Select(m => m.Level).ToList();
        Assert.All(levels, l => Assert.True(l >= LoggingLevel.Warning, $"got {l} below the level the client set"));
        Assert.Contains(LoggingLevel.Warning, levels);
    }

    [Theory]
    [InlineData("every")]
    [InlineData("everyhttp")]
    public async Task SubscriberUpdates_ArriveWithRewrittenUris(string backend)
    {
        await using var client = await ConnectCapableAsync(new Recorder("c"));
        var updates = new ConcurrentQueue<string>();
        await using var handler = client.RegisterNotificationHandler(NotificationMethods.ResourceUpdatedNotification, (n, _) =>
        {
            updates.Enqueue(n.Params?["uri"]?.GetValue<string>() ?? "");
            return ValueTask.CompletedTask;
        });
        var resource = (await client.ListResourcesAsync()).First(r => r.Uri.StartsWith($"mcp://{backend}/", StringComparison.Ordinal));
        await client.SubscribeToResourceAsync(resource.Uri);
        await client.CallToolAsync($"{backend}__toggle-subscriber-updates");
        try
        {
            await Eventually(() => updates.Contains(resource.Uri));
            Assert.All(updates, u => Assert.StartsWith($"mcp://{backend}/", u, StringComparison.Ordinal));
        }
        finally
        {
            await client.CallToolAsync($"{backend}__toggle-subscriber-updates");
            await client.UnsubscribeFromResourceAsync(resource.Uri);
        }
    }

    [Fact]
    public async Task Cancellation_ReachesTheBackend_LongBeforeItsTimeout_AndPendingBackendRequestsReturnToZero()
    {
        await using var client = await target.ConnectAsync(SessionClient());
        var tag = Guid.NewGuid().ToString("N");
        // The SDK client only stops waiting when its token fires; a real client also says so, which is what we do here.
        var id = new RequestId("cancel-me-" + tag);
        using var cts = new CancellationTokenSource();
        var call = client.SendRequestAsync<CallToolRequestParams, CallToolResult>(RequestMethods.ToolsCall,
            new CallToolRequestParams { Name = "sample__wait_for_cancel", Arguments = new Dictionary<string, JsonElement> { ["tag"] = JsonSerializer.SerializeToElement(tag) } },
            McpJsonUtilities.DefaultOptions, id, cts.Token).AsTask();
        await Eventually(async () => await CancelledAtAsync(client, tag) == 0); // the backend is waiting in the tool
        Assert.True(target.PendingBackendRequests >= 1);
        var cancelledAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await client.SendNotificationAsync(NotificationMethods.CancelledNotification, new CancelledNotificationParams { RequestId = id, Reason = "test" }, McpJsonUtilities.DefaultOptions);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        var seenAt = await Wait.For(() => CancelledAtAsync(client, tag), at => at > 0, "the backend seeing the cancellation");
        // The gateway's backend timeout would cancel the call too: the cancellation must have come long before that.
        Assert.InRange(seenAt - cancelledAt, -1000, (long)BackendTimeout.TotalMilliseconds / 2);
        await Eventually(() => target.PendingBackendRequests == 0);
        Assert.True(target.CancelledBackendRequests >= 1);

        using var http = new HttpClient();
        var capabilities = JsonNode.Parse(await http.GetStringAsync(new Uri(target.BaseUrl, "/capabilities")))!;
        Assert.Equal(0, capabilities["backend_requests"]!["pending"]!.GetValue<long>());
    }

    [Fact]
    public async Task DroppedRequest_OfAStatelessClient_CancelsTheBackendRequest()
    {
        var tag = Guid.NewGuid().ToString("N");
        var body = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = "drop-" + tag,
            ["method"] = "tools/call",
            ["params"] = new JsonObject
            {
                ["name"] = "sample__wait_for_cancel",
                ["arguments"] = new JsonObject { ["tag"] = tag },
                ["_meta"] = new JsonObject
                {
                    ["io.modelcontextprotocol/protocolVersion"] = "2026-07-28",
                    ["io.modelcontextprotocol/clientInfo"] = new JsonObject { ["name"] = "dropper", ["version"] = "1" },
                    ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject(),
                },
            },
        }.ToJsonString();
        await using var client = await target.ConnectAsync(SessionClient());
        using (var http = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.McpUrl) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
            request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
            request.Headers.Add("Mcp-Method", "tools/call");
            request.Headers.Add("Mcp-Name", "sample__wait_for_cancel");
            using var cts = new CancellationTokenSource();
            var sent = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            await Eventually(async () => await CancelledAtAsync(client, tag) == 0); // the backend is waiting in the tool
            Assert.True(target.PendingBackendRequests >= 1);
            // The client goes away without a word: the connection is simply dropped.
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sent);
        }
        var droppedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var seenAt = await Wait.For(() => CancelledAtAsync(client, tag), at => at > 0, "the backend seeing the cancellation");
        Assert.InRange(seenAt - droppedAt, -1000, (long)BackendTimeout.TotalMilliseconds / 2);
        await Eventually(() => target.PendingBackendRequests == 0);
    }

    [Theory]
    [InlineData("sample")]
    [InlineData("sampleshared")]
    public async Task TwoClients_SameProgressToken_EachReceiveOnlyTheirOwnProgress(string backend)
    {
        await using var a = await target.ConnectAsync(SessionClient());
        await using var b = await target.ConnectAsync(SessionClient());
        var seenA = RecordProgress(a);
        var seenB = RecordProgress(b);
        // Both clients deliberately use the same progress token.
        await Task.WhenAll(
            CallWithTokenAsync(a, $"{backend}__progress", "A", "same-token"),
            CallWithTokenAsync(b, $"{backend}__progress", "B", "same-token"));
        await Eventually(() => seenA.Count >= 5 && seenB.Count >= 5);
        Assert.All(seenA, m => Assert.StartsWith("A ", m, StringComparison.Ordinal));
        Assert.All(seenB, m => Assert.StartsWith("B ", m, StringComparison.Ordinal));
    }

    /// <summary>
    /// Progress the backend sends right before its result (no pause) is still relayed ahead of the result: the gateway waits
    /// for exactly the notifications that arrived before the response (counted in arrival order), not for a fixed delay.
    /// </summary>
    [Theory]
    [InlineData("sample")]
    [InlineData("sampleshared")]
    public async Task ProgressSentJustBeforeTheResult_ReachesTheClientAheadOfTheResult(string backend)
    {
        using var http = new HttpClient();
        var session = new Scaleout.RawMcpSession(http, target.McpUrl, token: null);
        await session.InitializeAsync();
        const int steps = 40;
        for (var round = 0; round < 3; round++)
        {
            var messages = new List<JsonObject>();
            using var response = await session.SendAsync(new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = $"burst-{round}",
                ["method"] = "tools/call",
                ["params"] = new JsonObject
                {
                    ["name"] = $"{backend}__progress",
                    ["arguments"] = new JsonObject { ["label"] = "burst", ["steps"] = steps, ["pauseMs"] = 0 },
                    ["_meta"] = new JsonObject { ["progressToken"] = $"burst-token-{round}" },
                },
            });
            var result = await Scaleout.RawMcpSession.ReadUntilAsync(response, m =>
            {
                messages.Add(m);
                return m["id"] is not null;
            });
            Assert.Equal("burst done", result["result"]?["content"]?[0]?["text"]?.GetValue<string>());
            var progress = messages.SkipLast(1).Where(m => m["method"]?.GetValue<string>() == "notifications/progress").ToList();
            Assert.All(progress, m => Assert.Equal($"burst-token-{round}", m["params"]?["progressToken"]?.GetValue<string>()));
            // The SDK client hands notifications to the gateway concurrently, so their order among themselves may vary; all must precede the result.
            Assert.Equal(Enumerable.Range(1, steps).Select(i => $"burst {i}"), progress.Select(m => m["params"]!["message"]!.GetValue<string>()).OrderBy(t => int.Parse(t[6..], System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task TwoClients_EachReceiveOnlyTheirOwnElicitationAndSamplingRequests()
    {
        var recorderA = new Recorder("A");
        var recorderB = new Recorder("B");
        await using var a = await ConnectCapableAsync(recorderA);
        await using var b = await ConnectCapableAsync(recorderB);
        var results = await Task.WhenAll(
            a.CallToolAsync("sample__ask", new Dictionary<string, object?> { ["question"] = "question for A" }).AsTask(),
            b.CallToolAsync("sample__ask", new Dictionary<string, object?> { ["question"] = "question for B" }).AsTask(),
            a.CallToolAsync("sample__sample", new Dictionary<string, object?> { ["prompt"] = "prompt for A" }).AsTask(),
            b.CallToolAsync("sample__sample", new Dictionary<string, object?> { ["prompt"] = "prompt for B" }).AsTask());
        Assert.Equal("accept:answer from A", AggregationTests.Text(results[0]));
        Assert.Equal("accept:answer from B", AggregationTests.Text(results[1]));
        Assert.Equal("sampled by A", AggregationTests.Text(results[2]));
        Assert.Equal("sampled by B", AggregationTests.Text(results[3]));
        Assert.Equal(["question for A"], recorderA.Elicitations.Select(e => e.Message));
        Assert.Equal(["question for B"], recorderB.Elicitations.Select(e => e.Message));
        Assert.Equal(["prompt for A"], recorderA.Samplings);
        Assert.Equal(["prompt for B"], recorderB.Samplings);
    }

    [Fact]
    public async Task Ping_IsAnswered_WithAnEmptyResultForItsOwnId()
    {
        using var http = new HttpClient();
        var session = new Scaleout.RawMcpSession(http, target.McpUrl, token: null);
        await session.InitializeAsync();
        using var response = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "ping-41", ["method"] = "ping" });
        var answer = await Scaleout.RawMcpSession.ReadUntilAsync(response, m => m["id"] is not null);
        Assert.Equal("ping-41", answer["id"]!.GetValue<string>());
        Assert.Equal("{}", answer["result"]!.ToJsonString());
    }

    /// <summary>A client on 2025-11-25 (sessions, server→client requests on streams); other revisions are covered by RevisionMatrixTests.</summary>
    private static McpClientOptions SessionClient() => new() { ProtocolVersion = "2025-11-25" };

    private Task<McpClient> ConnectCapableAsync(Recorder recorder) => target.ConnectAsync(recorder.Options());

    private static ConcurrentQueue<string> RecordProgress(McpClient client)
    {
        var seen = new ConcurrentQueue<string>();
        client.RegisterNotificationHandler(NotificationMethods.ProgressNotification, (n, _) =>
        {
            Assert.Equal("same-token", n.Params?["progressToken"]?.GetValue<string>());
            seen.Enqueue(n.Params?["message"]?.GetValue<string>() ?? "");
            return ValueTask.CompletedTask;
        });
        return seen;
    }

    private static Task<CallToolResult> CallWithTokenAsync(McpClient client, string tool, string label, string token) =>
        client.CallToolAsync(new CallToolRequestParams
        {
            Name = tool,
            Arguments = new Dictionary<string, JsonElement> { ["label"] = JsonSerializer.SerializeToElement(label), ["steps"] = JsonSerializer.SerializeToElement(5) },
            Meta = new JsonObject { ["progressToken"] = token },
        }).AsTask();

    // The relay fixtures leave the sample backends at the default timeout_ms, which would cancel a waiting call by itself.
    private static readonly TimeSpan BackendTimeout = TimeSpan.FromSeconds(30);

    private static async Task<long> CancelledAtAsync(McpClient client, string tag) =>
        long.Parse(AggregationTests.Text(await client.CallToolAsync("sample__cancelled_at", new Dictionary<string, object?> { ["tag"] = tag })), System.Globalization.CultureInfo.InvariantCulture);

    // Kept for the tests that call RelayScenarios.Eventually: the wait itself is the test kit's (Fixtures/Wait.cs).
    internal static Task Eventually(Func<bool> condition) => Wait.Until(condition);

    internal static Task Eventually(Func<Task<bool>> condition) => Wait.Until(condition);

    /// <summary>Waits for <paramref name="condition"/>; on timeout the failure says what <paramref name="describe"/> saw.</summary>
    internal static Task Eventually(Func<bool> condition, Func<string> describe) =>
        Wait.For(() => Task.FromResult(condition() ? null : describe()), seen => seen is null, "condition");

    internal static Task Eventually(Func<Task<bool>> condition, Func<string> describe) =>
        Wait.For(async () => await condition() ? null : describe(), seen => seen is null, "condition");

    private sealed class SyncProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}
