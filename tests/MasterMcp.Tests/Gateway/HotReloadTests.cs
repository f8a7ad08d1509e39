using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Gateway;

/// <summary>
/// Servers added to (or removed from) the config file appear in (or leave) the catalog without a restart; a reload
/// restarts only the backends whose definition changed.
/// </summary>
public sealed class HotReloadTests
{
    [Fact]
    public async Task ServerAddedToConfigFile_AppearsInToolsList_AndConnectedClientGetsListChanged()
    {
        await using var alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        await using var beta = await TestServerProcess.StartAsync("SampleServer", "--name", "beta");
        JsonObject Config(params string[] ids) => new()
        {
            ["servers"] = new JsonArray([.. ids.Select(id => (JsonNode)new JsonObject { ["id"] = id, ["url"] = (id == "alpha" ? alpha : beta).McpUrl.ToString() })]),
        };
        await using var gateway = await GatewayInstance.StartAsync(Config("alpha"));

        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; })],
            },
        };
        await using var client = await gateway.ConnectAsync(options);
        var before = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Contains("alpha__echo", before);
        Assert.DoesNotContain("beta__echo", before);

        await gateway.WriteConfigAsync(Config("alpha", "beta"));

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var after = await Wait.For(async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => n.Contains("beta__echo"));
        Assert.Contains("alpha__echo", after);
        Assert.Equal("beta/echo: new", AggregationTests.Text(await client.CallToolAsync("beta__echo", new Dictionary<string, object?> { ["text"] = "new" })));

        // Removing it takes it out again.
        await gateway.WriteConfigAsync(Config("beta"));
        var removed = await Wait.For(async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => !n.Contains("alpha__echo"));
        Assert.Contains("beta__echo", removed);
    }

    [Fact]
    public async Task Reload_RestartsOnlyChangedBackends_OthersKeepTheirProcessesAndSessions()
    {
        var keepMarker = "keep-" + Guid.NewGuid().ToString("N");
        var swapMarker = "swap-" + Guid.NewGuid().ToString("N");
        JsonObject Config(string level, string swapName) => new()
        {
            ["logging"] = new JsonObject { ["level"] = level },
            ["servers"] = new JsonArray(StdioLifecycleTests.SampleStdio("keep", keepMarker), StdioLifecycleTests.SampleStdio("swap", swapMarker, name: swapName)),
        };
        await using var gateway = await GatewayInstance.StartAsync(Config("information", "swap"));
        var monitor = gateway.Services.GetRequiredService<GatewayConfigMonitor>();

        var listChanged = 0;
        var options = new McpClientOptions
        {
            // 2025-11-25 opens a session, so each backend also gets a per-client process for this client.
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { Interlocked.Increment(ref listChanged); return ValueTask.CompletedTask; })],
            },
        };
        await using var client = await gateway.ConnectAsync(options);
        var sessionId = client.SessionId;
        Assert.Equal("keep/echo: a", await EchoAsync(client, "keep", "a"));
        Assert.Equal("swap/echo: a", await EchoAsync(client, "swap", "a"));
        var keepPids = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(keepMarker)), p => p.Count == 2);
        var swapPids = await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(swapMarker)), p => p.Count == 2);

        // Only logging.level changes: no backend restarts, the client's backend sessions carry on.
        await ReloadAsync("debug", "swap");
        Assert.Equal("debug", monitor.CurrentValue.Logging.Level);
        Assert.Equal(keepPids.Order(), ProcessTree.WithMarker(keepMarker).Order());
        Assert.Equal(swapPids.Order(), ProcessTree.WithMarker(swapMarker).Order());
        Assert.Equal("keep/echo: b", await EchoAsync(client, "keep", "b"));
        Assert.Equal("swap/echo: b", await EchoAsync(client, "swap", "b"));
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(keepPids.Order(), ProcessTree.WithMarker(keepMarker).Order());
        Assert.Equal(swapPids.Order(), ProcessTree.WithMarker(swapMarker).Order());

        // One backend's args change: only that one restarts, and the client hears that the tools changed.
        var before = Volatile.Read(ref listChanged);
        await ReloadAsync("debug", "swapped");
        await Wait.For(() => Task.FromResult(Volatile.Read(ref listChanged)), n => n > before);
        await Wait.For(() => Task.FromResult(ProcessTree.WithMarker(swapMarker)), p => !p.Intersect(swapPids).Any());
        Assert.Equal("swapped/echo: c", await EchoAsync(client, "swap", "c"));
        Assert.Equal("keep/echo: c", await EchoAsync(client, "keep", "c"));
        Assert.Equal(keepPids.Order(), ProcessTree.WithMarker(keepMarker).Order());
        Assert.Equal(sessionId, client.SessionId);

        // Writes the file and returns once the gateway's listeners (the backend registry among them) have applied it.
        async Task ReloadAsync(string level, string swapName)
        {
            var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var subscription = monitor.Subscribe((change, _) =>
            {
                if (change.Current.Options.Logging.Level == level && change.Current.Backends.Any(b => b.Id == "swap" && b.Args[^1] == swapName))
                {
                    applied.TrySetResult();
                }
                return Task.CompletedTask;
            });
            await gateway.WriteConfigAsync(Config(level, swapName));
            await applied.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    private static async Task<string> EchoAsync(McpClient client, string backend, string text) =>
        AggregationTests.Text(await client.CallToolAsync(backend + "__echo", new Dictionary<string, object?> { ["text"] = text }));
}
