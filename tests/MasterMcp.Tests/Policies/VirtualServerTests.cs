using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using MasterMcp.Tests.Scaleout;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Policies;

/// <summary>
/// virtual_servers[] without auth: /mcp/{name} serves its curated slice of two real backends, a session belongs to the
/// virtual server it was opened on, and /mcp stays the whole catalog.
/// </summary>
public sealed class VirtualServerTests : IAsyncLifetime
{
    private TestServerProcess _alpha = null!;
    private TestServerProcess _beta = null!;

    public async Task InitializeAsync()
    {
        _alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _beta = await TestServerProcess.StartAsync("SampleServer", "--name", "beta");
    }

    public async Task DisposeAsync()
    {
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    private JsonObject Config() => new()
    {
        ["servers"] = new JsonArray(
            new JsonObject { ["id"] = "alpha", ["url"] = _alpha.McpUrl.ToString() },
            new JsonObject { ["id"] = "beta", ["url"] = _beta.McpUrl.ToString() }),
        ["virtual_servers"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "dev",
                ["title"] = "Dev tools",
                ["instructions"] = "Echo and add only.",
                ["include"] = new JsonArray("alpha", "beta__echo"),
                ["exclude"] = new JsonArray("alpha__s*", "alpha__l*", "alpha__w*", "alpha__f*", "alpha__c*", "alpha__a?k", "alpha__p*", "mcp://alpha/sample://items/*"),
            },
            new JsonObject { ["name"] = "other", ["include"] = new JsonArray("*") },
            new JsonObject { ["name"] = "find", ["include"] = new JsonArray("alpha__echo", "alpha__add"), ["tool_exposure"] = "search" }),
    };

    private static Task<McpClient> ConnectAsync(Uri baseUrl, string path, string? protocolVersion = "2025-11-25") =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(baseUrl, path), TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { ProtocolVersion = protocolVersion });

    [Theory]
    [InlineData("2025-11-25")]
    [InlineData(null)] // negotiates 2026-07-28: stateless, no session
    public async Task ClientOnVirtualServer_SeesOnlyItsItems_AndCanCallThem(string? protocolVersion)
    {
        await using var gateway = await GatewayInstance.StartAsync(Config());
        await using var dev = await ConnectAsync(gateway.BaseUrl, "/mcp/dev", protocolVersion);
        await using var whole = await ConnectAsync(gateway.BaseUrl, "/mcp", protocolVersion);

        var tools = (await dev.ListToolsAsync()).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["alpha__add", "alpha__echo", "beta__echo"], tools);
        Assert.Equal(["mcp://alpha/sample://info"], (await dev.ListResourcesAsync()).Select(r => r.Uri));
        Assert.Empty(await dev.ListResourceTemplatesAsync());
        Assert.Equal(["alpha__greeting"], (await dev.ListPromptsAsync()).Select(p => p.Name));
        Assert.Equal("Dev tools", dev.ServerInfo?.Title);
        Assert.Equal("Echo and add only.", dev.ServerInstructions);

        Assert.Equal("beta/echo: hi", AggregationTests.Text(await dev.CallToolAsync("beta__echo", new Dictionary<string, object?> { ["text"] = "hi" })));
        Assert.Equal("5", AggregationTests.Text(await dev.CallToolAsync("alpha__add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })));
        var outside = await Assert.ThrowsAsync<McpProtocolException>(async () => await dev.CallToolAsync("beta__add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }));
        Assert.Contains("Unknown tool: 'beta__add'", outside.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<McpProtocolException>(async () => await dev.ReadResourceAsync("mcp://alpha/sample://items/1"));

        // /mcp stays the whole catalog.
        var all = (await whole.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Contains("beta__add", all);
        Assert.Contains("alpha__slow", all);
        Assert.NotEqual("Dev tools", whole.ServerInfo?.Title);
        Assert.Equal("item 1 from alpha", Assert.IsType<ModelContextProtocol.Protocol.TextResourceContents>(Assert.Single((await whole.ReadResourceAsync("mcp://alpha/sample://items/1")).Contents)).Text);
    }

    [Fact]
    public async Task SearchModeVirtualServer_ListsTwoTools_AndSearchesAndCallsOnlyItsOwn()
    {
        await using var gateway = await GatewayInstance.StartAsync(Config());
        await using var find = await ConnectAsync(gateway.BaseUrl, "/mcp/find");
        await using var whole = await ConnectAsync(gateway.BaseUrl, "/mcp");

        Assert.Equal(["call_tool", "search_tools"], (await find.ListToolsAsync()).Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Contains("alpha__slow", (await whole.ListToolsAsync()).Select(t => t.Name));   // /mcp keeps the gateway's exposure

        var found = AggregationTests.Text(await find.CallToolAsync("search_tools", new Dictionary<string, object?> { ["query"] = "echo text back" }));
        Assert.Contains("alpha__echo", found, StringComparison.Ordinal);
        Assert.DoesNotContain("beta__echo", found, StringComparison.Ordinal);
        Assert.Equal("alpha/echo: x", AggregationTests.Text(await find.CallToolAsync("call_tool", new Dictionary<string, object?> { ["name"] = "alpha__echo", ["arguments"] = new Dictionary<string, object?> { ["text"] = "x" } })));
        var outside = await Assert.ThrowsAsync<McpProtocolException>(async () => await find.CallToolAsync("call_tool", new Dictionary<string, object?> { ["name"] = "beta__echo", ["arguments"] = new Dictionary<string, object?> { ["text"] = "x" } }));
        Assert.Contains("Unknown tool: 'beta__echo'", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownVirtualServer_Is404()
    {
        await using var gateway = await GatewayInstance.StartAsync(Config());
        using var http = new HttpClient();
        using var request = Auth.AuthTestKit.InitializeRequest(gateway.BaseUrl, null);
        request.RequestUri = new Uri(gateway.BaseUrl, "/mcp/unknown");
        using var post = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Contains("no virtual server named 'unknown'", JsonNode.Parse(await post.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        using var get = await http.GetAsync(new Uri(gateway.BaseUrl, "/mcp/unknown"));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    private static readonly JsonObject ToolsList = new() { ["jsonrpc"] = "2.0", ["id"] = 2, ["method"] = "tools/list" };

    private static async Task<(HttpStatusCode Status, string Answer)> ListAsync(RawMcpSession session, Uri at)
    {
        using var response = await session.SendAsync((JsonObject)ToolsList.DeepClone(), url: at);
        return (response.StatusCode, await RawMcpSession.AnswerTextAsync(response));
    }

    private static async Task<RawMcpSession> OpenAsync(HttpClient http, Uri at)
    {
        var session = new RawMcpSession(http, at, null);
        await session.InitializeAsync();
        return session;
    }

    [Fact]
    public async Task SessionOpenedOnVirtualServer_Is404OnMcpAndOnAnotherVirtualServer()
    {
        await using var gateway = await GatewayInstance.StartAsync(Config());
        using var http = new HttpClient();
        var dev = await OpenAsync(http, new Uri(gateway.BaseUrl, "/mcp/dev"));
        var whole = await OpenAsync(http, gateway.McpUrl);

        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(dev, new Uri(gateway.BaseUrl, "/mcp"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(dev, new Uri(gateway.BaseUrl, "/mcp/other"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(whole, new Uri(gateway.BaseUrl, "/mcp/dev"))).Status);
        var (status, body) = await ListAsync(dev, new Uri(gateway.BaseUrl, "/mcp/dev"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("beta__echo", body, StringComparison.Ordinal);
        Assert.DoesNotContain("beta__add", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionOpenedOnVirtualServer_Is404OnMcp_OnEveryInstanceOfACluster()
    {
        await using var cluster = await GatewayCluster.StartAsync(Config(), count: 2);
        using var http = new HttpClient();
        var (first, second) = (cluster.Instances[0].BaseUrl, cluster.Instances[1].BaseUrl);
        var dev = await OpenAsync(http, new Uri(first, "/mcp/dev"));

        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(dev, new Uri(first, "/mcp"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(dev, new Uri(second, "/mcp"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ListAsync(dev, new Uri(second, "/mcp/other"))).Status);
        // At its own virtual server the other instance carries it to the owner.
        var (status, body) = await ListAsync(dev, new Uri(second, "/mcp/dev"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("beta__echo", body, StringComparison.Ordinal);
        Assert.DoesNotContain("beta__add", body, StringComparison.Ordinal);

        // A real client through the balancer, its requests landing on both instances.
        await using var client = await ConnectAsync(cluster.BaseUrl, "/mcp/dev");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"alpha/echo: {i}", AggregationTests.Text(await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) })));
        }
    }
}
