using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>HTTP-level MCP errors the gateway writes itself, shaped as the SDK writes them.</summary>
public static class McpErrors
{
    /// <summary>404 for a session that does not exist (any more): the client starts a new one (Streamable HTTP, "Session Management").</summary>
    public static Task WriteSessionNotFoundAsync(HttpContext context) =>
        WriteJsonRpcErrorAsync(context, StatusCodes.Status404NotFound, null, -32001, "Session not found");

    /// <summary>
    /// 400 for a <c>Last-Event-ID</c> whose stream is held but some of whose later events are not any more: replaying the
    /// rest would be a silent gap, so the client learns that events were lost (the SDK itself says only "invalid or expired").
    /// </summary>
    public static Task WriteEventsLostAsync(HttpContext context, int bufferEvents, TimeSpan idleTimeout) =>
        WriteJsonRpcErrorAsync(context, StatusCodes.Status400BadRequest, null, -32000,
            $"Bad Request: events after this Last-Event-ID were dropped (a stream keeps at most {bufferEvents} events, sessions.stream_buffer_events, "
            + $"each for at most the {idleTimeout.TotalSeconds:0} s idle timeout), so the stream cannot resume without a gap; start a new session.");

    /// <summary>A JSON-RPC error as the whole HTTP response (for the request <paramref name="id"/>, when it could be read).</summary>
    public static async Task WriteJsonRpcErrorAsync(HttpContext context, int status, JsonNode? id, int code, string message, JsonNode? data = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (data is not null)
        {
            error["data"] = data;
        }
        var body = new JsonObject { ["jsonrpc"] = "2.0", ["error"] = error, ["id"] = id };
        await context.Response.WriteAsync(body.ToJsonString(), CancellationToken.None);
    }

    /// <summary>The id of the JSON-RPC request in a POST's buffered body, or null (no request, or unreadable).</summary>
    public static async Task<JsonNode?> RequestIdAsync(HttpContext context) =>
        (await ReadRequestAsync(context))?.Id.Id switch
        {
            long number => JsonValue.Create(number),
            string text => JsonValue.Create(text),
            _ => null,
        };

    /// <summary>
    /// The JSON-RPC request a POST carries, read by the SDK's own deserializer (so the gateway sees the same method the SDK
    /// will act on), or null. Only bodies containing <paramref name="mustContain"/> (when given) — or any JSON escape, which
    /// could spell it differently (<c>"\u0069nitialize"</c>) — are parsed.
    /// </summary>
    public static async Task<JsonRpcRequest?> ReadRequestAsync(HttpContext context, string? mustContain = null)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Body.CanSeek || context.Request.Body.Length == 0)
        {
            return null;
        }
        var bytes = await BufferedRequestBody.ReadAsync(context);
        if (mustContain is not null && bytes.Span.IndexOf(System.Text.Encoding.UTF8.GetBytes(mustContain)) < 0 && bytes.Span.IndexOf((byte)'\\') < 0)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcRequest;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or FormatException)
        {
            // Not a JSON-RPC request: the SDK answers that itself.
            return null;
        }
    }
}
