using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>
/// The relay's success path uses no exception as control flow: a call that succeeds throws nothing, in the gateway or the
/// SDK under it (an exception per call cost more than the rest of the relay's own work). Behaviour, not timing: the
/// exceptions are counted with a first-chance handler while the test's calls run. The handler sees the whole process, so
/// the class runs alone (no other test's gateway beside it), and only exceptions thrown under gateway, SDK or ASP.NET Core
/// code count: a timer of a host disposed by an earlier test (e.g. the HTTP client factory's cleanup) is not a call's.
/// </summary>
[Collection("alone")]
public sealed class HotPathTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(null)]
    [InlineData("progress-token")]
    public async Task SuccessfulToolCalls_ThrowNoException(string? progressToken)
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["storage"] = new JsonObject { ["table_prefix"] = "t" + Guid.NewGuid().ToString("N")[..12] },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString(), ["transport"] = "streamable_http" }),
        }, azurite.ConnectionString);
        await using var client = await gateway.ConnectAsync(new McpClientOptions { ProtocolVersion = "2025-11-25" });
        var progress = new Progress();
        async Task CallAsync(int i)
        {
            var result = progressToken is null
                ? await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = $"call {i}" })
                : await client.CallToolAsync("alpha__progress", new Dictionary<string, object?> { ["label"] = $"call {i}", ["steps"] = 2, ["pauseMs"] = 0 }, progress);
            Assert.NotEqual(true, result.IsError);
        }
        for (var i = 0; i < 5; i++)
        {
            await CallAsync(i);
        }

        var thrown = new ConcurrentQueue<string>();
        void Record(object? sender, FirstChanceExceptionEventArgs e)
        {
            var stack = Environment.StackTrace;
            if (OnACallPath(stack))
            {
                thrown.Enqueue($"{e.Exception.GetType().Name}: {e.Exception.Message}\n{stack}");
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Record;
        try
        {
            for (var i = 0; i < 40; i++)
            {
                await CallAsync(i);
            }
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Record;
        }
        Assert.True(thrown.IsEmpty, $"{thrown.Count} exception(s) thrown during 40 successful calls; the first:\n{thrown.FirstOrDefault()}");
    }

    /// <summary>Whether a stack runs gateway, MCP SDK or ASP.NET Core code (this test's own handler frame aside).</summary>
    private static bool OnACallPath(string stack) =>
        stack.Split('\n').Any(frame =>
            (frame.Contains(" at MasterMcp.", StringComparison.Ordinal) && !frame.Contains(" at MasterMcp.Tests.", StringComparison.Ordinal))
            || frame.Contains(" at ModelContextProtocol.", StringComparison.Ordinal)
            || frame.Contains(" at Microsoft.AspNetCore.", StringComparison.Ordinal));

    private sealed class Progress : IProgress<ModelContextProtocol.ProgressNotificationValue>
    {
        public void Report(ModelContextProtocol.ProgressNotificationValue value)
        {
        }
    }
}
