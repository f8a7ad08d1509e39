using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// GET /.well-known/oauth-protected-resource[/mcp[/{name}]]: RFC 9728 metadata of the MCP endpoint (jwt and gateway
/// modes); a virtual server's names its own URL as the resource (RFC 9728 §3.3: it must match the URL it was fetched for).
/// </summary>
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
        var virtualServer = Gateway.Access.CatalogAccess.RequestVirtualServer(context);
        var body = new JsonObject
        {
            ["resource"] = current.ResourceFor(virtualServer?.Name),
            ["authorization_servers"] = new JsonArray(current.Issuer),
            ["scopes_supported"] = new JsonArray([.. current.Auth.ScopesSupported.Select(s => (JsonNode)s)]),
            ["bearer_methods_supported"] = new JsonArray("header"),
            ["resource_name"] = virtualServer?.Title ?? "Master MCP Server",
        };
        return OAuthResponses.JsonAsync(context, body, cacheControl: "public, max-age=300");
    }
}
