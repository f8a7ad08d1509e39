using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>GET /.well-known/oauth-protected-resource[/mcp]: RFC 9728 metadata of the MCP endpoint (jwt and gateway modes).</summary>
public sealed class ProtectedResourceMetadataEndpoint(AuthSettingsProvider settings) : IEndpointHandler
{
    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.Enabled)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Authentication is off on this gateway.");
        }
        var body = new JsonObject
        {
            ["resource"] = current.Resource,
            ["authorization_servers"] = new JsonArray(current.Issuer),
            ["scopes_supported"] = new JsonArray([.. current.Auth.ScopesSupported.Select(s => (JsonNode)s)]),
            ["bearer_methods_supported"] = new JsonArray("header"),
            ["resource_name"] = "Master MCP Server",
        };
        return OAuthResponses.JsonAsync(context, body, cacheControl: "public, max-age=300");
    }
}
