using Microsoft.AspNetCore.Http;

namespace MasterMcp.Gateway;

/// <summary>HTTP-level MCP errors the gateway writes itself, shaped as the SDK writes them.</summary>
public static class McpErrors
{
    /// <summary>404 for a session that does not exist (any more): the client starts a new one (Streamable HTTP, "Session Management").</summary>
    public static Task WriteSessionNotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, -32001, "Session not found");

    /// <summary>
    /// 400 for a <c>Last-Event-ID</c> whose stream is held but some of whose later events are not any more: replaying the
    /// rest would be a silent gap, so the client learns that events were lost (the SDK itself says only "invalid or expired").
    /// </summary>
    public static Task WriteEventsLostAsync(HttpContext context, int bufferEvents, TimeSpan idleTimeout) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, -32000,
            $"Bad Request: events after this Last-Event-ID were dropped (a stream keeps at most {bufferEvents} events, sessions.stream_buffer_events, "
            + $"each for at most the {idleTimeout.TotalSeconds:0} s idle timeout), so the stream cannot resume without a gap; start a new session.");

    private static async Task WriteAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new System.Text.Json.Nodes.JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = code, ["message"] = message },
            ["id"] = null,
        };
        await context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
    }
}
