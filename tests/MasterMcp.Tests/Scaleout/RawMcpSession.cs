using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace MasterMcp.Tests.Scaleout;

/// <summary>A 2025-11-25 MCP session spoken over plain HTTP, so a test can send any message with any token or session id.</summary>
public sealed class RawMcpSession(HttpClient http, Uri mcpUrl, string? token)
{
    /// <summary>The session id the gateway issued.</summary>
    public string SessionId { get; private set; } = "";

    /// <summary>Initializes with <paramref name="capabilities"/> and sends notifications/initialized.</summary>
    public async Task InitializeAsync(JsonObject? capabilities = null, Uri? initializeAt = null)
    {
        var init = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = 1,
            ["method"] = "initialize",
            ["params"] = new JsonObject
            {
                ["protocolVersion"] = "2025-11-25",
                ["capabilities"] = capabilities ?? new JsonObject(),
                ["clientInfo"] = new JsonObject { ["name"] = "raw", ["version"] = "1" },
            },
        };
        using var response = await SendAsync(init, sessionId: null, token, url: initializeAt);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        SessionId = response.Headers.GetValues("Mcp-Session-Id").Single();
        using var initialized = await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }, SessionId, token);
        Assert.Equal(HttpStatusCode.Accepted, initialized.StatusCode);
    }

    /// <summary>POSTs one message (headers read, body left to the caller).</summary>
    public Task<HttpResponseMessage> SendAsync(JsonObject message, string? sessionId = "", string? bearer = "", CancellationToken cancellationToken = default, Uri? url = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url ?? mcpUrl) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        sessionId = sessionId == "" ? SessionId : sessionId;
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
        }
        bearer = bearer == "" ? token : bearer;
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Opens the session's GET stream (headers read, body left to the caller), resuming after <paramref name="lastEventId"/> when given.</summary>
    public Task<HttpResponseMessage> GetStreamAsync(string? lastEventId = null, Uri? url = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url ?? mcpUrl);
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        request.Headers.Add("Mcp-Session-Id", SessionId);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>The JSON-RPC answer of a response as the gateway wrote it (the data of its SSE event, or the JSON body), for byte comparisons.</summary>
    public static async Task<string> AnswerTextAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        return response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? body.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("data:", StringComparison.Ordinal) && l[5..].Trim().Length > 0).Select(l => l[5..].Trim()).Last()
            : body;
    }

    /// <summary>Reads SSE events (their data as JSON) from a response until <paramref name="stop"/> says so; returns the last one.</summary>
    public static async Task<JsonObject> ReadUntilAsync(HttpResponseMessage response, Func<JsonObject, bool> stop, CancellationToken cancellationToken = default)
    {
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && line[5..].Trim().Length > 0 && JsonNode.Parse(line[5..]) is JsonObject message && stop(message))
            {
                return message;
            }
        }
        throw new InvalidOperationException("the stream ended before the expected message");
    }
}
