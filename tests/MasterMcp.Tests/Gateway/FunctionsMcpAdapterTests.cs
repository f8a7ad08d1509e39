using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Functions;
using MasterMcp.Hosting;
using MasterMcp.Tests.Fixtures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Gateway;

/// <summary>The Functions /mcp adapter, invoked with a DefaultHttpContext as the Functions host would, answers like Kestrel.</summary>
public sealed class FunctionsMcpAdapterTests : IAsyncLifetime
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"adapter-test","version":"1.0"}}}""";
    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";
    private const string ListTools = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";

    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _gateway = await GatewayInstance.StartAsync(new JsonObject { ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }) });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task InitializeAndToolsList_ThroughTheFunctionAdapter_MatchKestrel()
    {
        // Through the Function adapter.
        var functions = new HttpFunctions(_gateway.Services.GetRequiredService<GatewayPipeline>());
        var (initStatus, initHeaders, initBody) = await InvokeAsync(functions, Initialize, sessionId: null);
        Assert.Equal(200, initStatus);
        var sessionId = initHeaders["Mcp-Session-Id"].ToString();
        Assert.False(string.IsNullOrEmpty(sessionId));
        var (notifiedStatus, _, _) = await InvokeAsync(functions, Initialized, sessionId);
        Assert.Equal(202, notifiedStatus);
        var (listStatus, _, listBody) = await InvokeAsync(functions, ListTools, sessionId);
        Assert.Equal(200, listStatus);

        // Through Kestrel.
        using var http = new HttpClient();
        var (kInitStatus, kSession, kInitBody) = await PostAsync(http, Initialize, null);
        Assert.Equal(200, kInitStatus);
        await PostAsync(http, Initialized, kSession);
        var (kListStatus, _, kListBody) = await PostAsync(http, ListTools, kSession);
        Assert.Equal(200, kListStatus);

        var initResult = Result(initBody);
        var kInitResult = Result(kInitBody);
        Assert.Equal(kInitResult["serverInfo"]!.ToJsonString(), initResult["serverInfo"]!.ToJsonString());
        Assert.Equal(kInitResult["capabilities"]!.ToJsonString(), initResult["capabilities"]!.ToJsonString());
        Assert.Equal(kInitResult["protocolVersion"]!.ToJsonString(), initResult["protocolVersion"]!.ToJsonString());

        var names = Result(listBody)["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        var kNames = Result(kListBody)["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("alpha__echo", names);
        Assert.Equal(kNames, names);
    }

    private async Task<(int Status, IHeaderDictionary Headers, string Body)> InvokeAsync(HttpFunctions functions, string json, string? sessionId)
    {
        await using var scope = _gateway.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(_gateway.BaseUrl.Authority);
        context.Request.Path = "/mcp";
        context.Request.Headers.Accept = "application/json, text/event-stream";
        context.Request.ContentType = "application/json";
        if (sessionId is not null)
        {
            context.Request.Headers["Mcp-Session-Id"] = sessionId;
            context.Request.Headers["MCP-Protocol-Version"] = "2025-11-25";
        }
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var body = new MemoryStream();
        context.Response.Body = body;
        await functions.Mcp(context.Request);
        return (context.Response.StatusCode, context.Response.Headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    private async Task<(int Status, string? SessionId, string Body)> PostAsync(HttpClient http, string json, string? sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _gateway.McpUrl) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        }
        using var response = await http.SendAsync(request);
        var id = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : sessionId;
        return ((int)response.StatusCode, id, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The JSON-RPC result from a JSON body or from the data line of an SSE body.</summary>
    internal static JsonObject Result(string body)
    {
        var json = body.TrimStart().StartsWith('{')
            ? body
            : body.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("data:", StringComparison.Ordinal) && l.Length > 6)["data:".Length..];
        return JsonNode.Parse(json)!["result"]!.AsObject();
    }
}
