using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Gateway;

/// <summary>Servers added to (or removed from) the config file appear in (or leave) the catalog without a restart.</summary>
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
        var after = await BackendFailureTests.WaitForAsync(async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => n.Contains("beta__echo"));
        Assert.Contains("alpha__echo", after);
        Assert.Equal("beta/echo: new", AggregationTests.Text(await client.CallToolAsync("beta__echo", new Dictionary<string, object?> { ["text"] = "new" })));

        // Removing it takes it out again.
        await gateway.WriteConfigAsync(Config("beta"));
        var removed = await BackendFailureTests.WaitForAsync(async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => !n.Contains("alpha__echo"));
        Assert.Contains("beta__echo", removed);
    }
}
