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

/// <summary>GET /.well-known/oauth-authorization-server and /.well-known/openid-configuration: RFC 8414 metadata (gateway mode).</summary>
public sealed class AuthorizationServerMetadataEndpoint(AuthSettingsProvider settings) : IEndpointHandler
{
    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.IsGateway)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "This gateway is not an authorization server (auth.mode is not 'gateway').");
        }
        var b = current.BaseUrl;
        var body = new JsonObject
        {
            ["issuer"] = current.Issuer,
            ["authorization_endpoint"] = b + "/authorize",
            ["token_endpoint"] = b + "/token",
            ["revocation_endpoint"] = b + "/revoke",
            ["jwks_uri"] = b + "/.well-known/jwks.json",
            ["response_types_supported"] = new JsonArray("code"),
            ["response_modes_supported"] = new JsonArray("query"),
            ["grant_types_supported"] = new JsonArray("authorization_code", "refresh_token"),
            ["code_challenge_methods_supported"] = new JsonArray("S256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_basic", "client_secret_post", "none"),
            ["revocation_endpoint_auth_methods_supported"] = new JsonArray("client_secret_basic", "client_secret_post", "none"),
            ["scopes_supported"] = new JsonArray([.. current.Auth.ScopesSupported.Select(s => (JsonNode)s)]),
            ["client_id_metadata_document_supported"] = current.Auth.ClientMetadataDocuments.Enabled,
            ["authorization_response_iss_parameter_supported"] = true,
            ["subject_types_supported"] = new JsonArray("public"),
        };
        if (current.Auth.DynamicRegistration)
        {
            body["registration_endpoint"] = b + "/register";
        }
        return OAuthResponses.JsonAsync(context, body, cacheControl: "public, max-age=300");
    }
}

/// <summary>GET /.well-known/jwks.json: the public keys that sign (and signed) access tokens.</summary>
public sealed class JwksEndpoint(AuthSettingsProvider settings, SigningKeys keys) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (!settings.Current.IsGateway)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "This gateway does not issue tokens.");
        }
        var set = await keys.GetAsync(context.RequestAborted);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "public, max-age=300";
        await context.Response.WriteAsync(set.Jwks, context.RequestAborted);
    }
}
