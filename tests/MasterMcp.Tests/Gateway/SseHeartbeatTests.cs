using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>Long SSE streams get comment lines while idle, so proxies do not cut them; clients are not disturbed.</summary>
public sealed class SseHeartbeatTests : IAsyncLifetime
{
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["hosting"] = new JsonObject { ["sse_heartbeat_seconds"] = 1 },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task IdleGetStream_ReceivesCommentHeartbeats()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var init = Post("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hb","version":"1"}}}""", null);
        using var initResponse = await http.SendAsync(init);
        var session = initResponse.Headers.GetValues("Mcp-Session-Id").Single();
        using var initialized = Post("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", session);
        (await http.SendAsync(initialized)).EnsureSuccessStatusCode();

        using var get = new HttpRequestMessage(HttpMethod.Get, _gateway.McpUrl);
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        get.Headers.Add("Mcp-Session-Id", session);
        get.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        using var stream = await http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var comments = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        try
        {
            while (comments < 2 && await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith(':'))
                {
                    comments++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Fall through to the assertion.
        }
        Assert.True(comments >= 2, $"expected at least two heartbeats within 4 s, got {comments}");
    }

    [Fact]
    public async Task SlowToolCall_OverAnSseResponse_StillReturnsItsResult()
    {
        await using var client = await _gateway.ConnectAsync(new McpClientOptions { ProtocolVersion = "2025-11-25" });
        var result = await client.CallToolAsync("alpha__slow", new Dictionary<string, object?> { ["ms"] = 2500 });
        Assert.Equal("alpha/slow: done after 2500 ms", AggregationTests.Text(result));
    }

    private HttpRequestMessage Post(string json, string? session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _gateway.McpUrl) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        }
        return request;
    }
}
