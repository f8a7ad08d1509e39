using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

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
