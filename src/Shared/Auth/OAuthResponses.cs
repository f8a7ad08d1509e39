using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>JSON answers of the OAuth endpoints (never cached).</summary>
public static class OAuthResponses
{
    /// <summary>Writes a JSON document.</summary>
    public static Task JsonAsync(HttpContext context, JsonNode body, int status = StatusCodes.Status200OK, string? cacheControl = "no-store")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (cacheControl is not null)
        {
            context.Response.Headers.CacheControl = cacheControl;
        }
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>Writes an RFC 6749 error.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string error, string description)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"master-mcp-server\"";
        }
        return JsonAsync(context, new JsonObject { ["error"] = error, ["error_description"] = description }, status);
    }
}
