using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Search;

/// <summary>
/// <c>tool_exposure: "search"</c> on a real gateway in front of @modelcontextprotocol/server-everything (stdio), used
/// through the official C# SDK client; the backend's own answers come from a second, direct client to it.
/// </summary>
public sealed class SearchModeTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private McpClient _direct = null!;

    private static JsonObject Config(string exposure) => new()
    {
        ["tool_exposure"] = exposure,
        ["servers"] = new JsonArray(AggregationTests.EverythingStdio("every")),
    };

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync(Config("search"));
        var everything = AggregationTests.EverythingStdio("direct");
        _direct = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "node",
            Arguments = [.. everything["args"]!.AsArray().Select(a => (string)a!)],
        }));
    }

    public async Task DisposeAsync()
    {
        await _direct.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task ToolsList_ShowsExactlyTheTwoMetaTools_CallToolClaimingDestructive()
    {
        await using var client = await _gateway.ConnectAsync();

        var tools = (await client.ListToolsAsync()).Select(t => t.ProtocolTool).ToList();

        Assert.Equal(["search_tools", "call_tool"], tools.Select(t => t.Name));
        var search = tools[0].Annotations!;
        Assert.True(search.ReadOnlyHint);
        Assert.False(search.DestructiveHint);
        var call = tools[1].Annotations!;
        Assert.False(call.ReadOnlyHint);
        Assert.True(call.DestructiveHint);
        Assert.True(call.OpenWorldHint);
        Assert.Equal(["query"], tools[0].InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["name"], tools[1].InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task SearchTools_ReturnsTheBestMatchFirst_WithTheBackendsFullSchemaAndAnnotations()
    {
        await using var client = await _gateway.ConnectAsync();

        var result = await client.CallToolAsync("search_tools", new Dictionary<string, object?> { ["query"] = "add two numbers together", ["limit"] = 3 });

        Assert.NotEqual(true, result.IsError);
        var found = result.StructuredContent!.Value.GetProperty("tools").EnumerateArray().ToList();
        Assert.InRange(found.Count, 1, 3);
        Assert.Equal("every__get-sum", found[0].GetProperty("name").GetString());
        // Each hit is the tool exactly as the backend lists it (renamed): schema, annotations, description.
        var backend = (await _direct.ListToolsAsync()).Select(t => t.ProtocolTool).ToDictionary(t => "every__" + t.Name);
        foreach (var hit in found)
        {
            var own = backend[hit.GetProperty("name").GetString()!];
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(own.InputSchema.GetRawText()), JsonNode.Parse(hit.GetProperty("inputSchema").GetRawText())));
            Assert.True(JsonNode.DeepEquals(JsonSerializer.SerializeToNode(own.Annotations, McpJsonUtilities.DefaultOptions), JsonNode.Parse(hit.GetProperty("annotations").GetRawText())));
            Assert.Equal(own.Description, hit.GetProperty("description").GetString());
        }
        Assert.False(found[0].GetProperty("annotations").GetProperty("destructiveHint").GetBoolean());
        // The text block carries the same JSON for clients that only read text.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(result.StructuredContent.Value.GetRawText()), JsonNode.Parse(AggregationTests.Text(result))));
    }

    [Fact]
    public async Task CallTool_RunsTheRealBackendTool_AndReturnsWhatADirectCallReturns()
    {
        await using var client = await _gateway.ConnectAsync();

        var viaMeta = await client.CallToolAsync("call_tool", new Dictionary<string, object?>
        {
            ["name"] = "every__get-sum",
            ["arguments"] = new Dictionary<string, object?> { ["a"] = 19, ["b"] = 23 },
        });
        var direct = await _direct.CallToolAsync("get-sum", new Dictionary<string, object?> { ["a"] = 19, ["b"] = 23 });

        Assert.NotEqual(true, viaMeta.IsError);
        Assert.Contains("42", AggregationTests.Text(viaMeta), StringComparison.Ordinal);
        Assert.Equal(AggregationTests.Text(direct), AggregationTests.Text(viaMeta));
    }

    [Fact]
    public async Task CallTool_KeepsTheCallersProgressToken_SoTheRealToolsProgressReachesTheClient()
    {
        await using var client = await _gateway.ConnectAsync();
        var progress = new Recorder();

        var result = await client.CallToolAsync("call_tool", new Dictionary<string, object?>
        {
            ["name"] = "every__trigger-long-running-operation",
            ["arguments"] = new Dictionary<string, object?> { ["duration"] = 1, ["steps"] = 2 },
        }, progress);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal([1f, 2f], progress.Values.Select(v => v.Progress));
    }

    private sealed class Recorder : IProgress<ProgressNotificationValue>
    {
        public List<ProgressNotificationValue> Values { get; } = [];

        public void Report(ProgressNotificationValue value)
        {
            lock (Values)
            {
                Values.Add(value);
            }
        }
    }

    [Fact]
    public async Task CallTool_WithAnUnknownName_AnswersExactlyLikeADirectCallOfAnUnknownTool()
    {
        await using var client = await _gateway.ConnectAsync();

        var direct = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("every__no-such-tool").AsTask());
        var viaMeta = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("call_tool", new Dictionary<string, object?> { ["name"] = "every__no-such-tool" }).AsTask());

        Assert.Equal(McpErrorCode.InvalidParams, viaMeta.ErrorCode);
        Assert.Equal(direct.ErrorCode, viaMeta.ErrorCode);
        Assert.Equal(direct.Message, viaMeta.Message);
        Assert.Contains("every__no-such-tool", viaMeta.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("search_tools", """{}""", "'query'")]
    [InlineData("search_tools", """{"query":"   "}""", "'query'")]
    [InlineData("search_tools", """{"query":"echo","limit":0}""", "'limit'")]
    [InlineData("search_tools", """{"query":"echo","limit":21}""", "'limit'")]
    [InlineData("call_tool", """{}""", "'name'")]
    [InlineData("call_tool", """{"name":"every__echo","arguments":[1]}""", "'arguments'")]
    public async Task MetaTools_WithBadArguments_AnswerAToolErrorNamingTheArgument(string tool, string arguments, string named)
    {
        await using var client = await _gateway.ConnectAsync();

        var args = JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments);
        var result = await client.CallToolAsync(tool, args);

        Assert.True(result.IsError);
        Assert.Contains(named, AggregationTests.Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReloadToAll_SendsToolsListChanged_AndListsEveryToolAgain()
    {
        // Only a notification sent once the reload is in force counts (a backend coming up may send one earlier).
        var monitor = _gateway.Services.GetRequiredService<GatewayConfigMonitor>();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await _gateway.ConnectAsync(new McpClientOptions
        {
            // A session with a GET stream: 2026-07-28 clients are stateless and get no unsolicited notifications.
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) =>
                {
                    if (monitor.ReloadCount > 0)
                    {
                        changed.TrySetResult();
                    }
                    return ValueTask.CompletedTask;
                })],
            },
        });
        Assert.Equal(2, (await client.ListToolsAsync()).Count);
        // The catalog is up (search_tools sees the backend), so nothing else is left to announce.
        Assert.NotEmpty((await client.CallToolAsync("search_tools", new Dictionary<string, object?> { ["query"] = "echo" })).StructuredContent!.Value.GetProperty("tools").EnumerateArray());

        await _gateway.WriteConfigAsync(Config("all"));

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var names = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Contains("every__get-sum", names);
        Assert.DoesNotContain("search_tools", names);
    }
}
