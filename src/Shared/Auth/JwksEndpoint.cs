using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

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
