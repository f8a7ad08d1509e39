using Microsoft.AspNetCore.Http;

namespace MasterMcp.Gateway;

/// <summary>HTTP-level MCP errors the gateway writes itself, shaped as the SDK writes them.</summary>
public static class McpErrors
{
    /// <summary>404 for a session that does not exist (any more): the client starts a new one (Streamable HTTP, "Session Management").</summary>
    public static Task WriteSessionNotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, -32001, "Session not found");

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
