using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// POST /revoke (RFC 7009, gateway mode): revoking a refresh token revokes its whole family, whose access tokens /mcp then
/// refuses (see <see cref="GrantRevocations"/>). Revoking an access token itself answers 200 like any unknown token.
/// </summary>
public sealed class RevokeEndpoint(AuthSettingsProvider settings, ClientAuthentication clientAuthentication, AuthorizationServer server) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (!settings.Current.IsGateway)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "This gateway is not an authorization server.");
        }
        if (!context.Request.HasFormContentType)
        {
            await OAuthResponses.ErrorAsync(context, 400, "invalid_request", "send the revocation request as application/x-www-form-urlencoded");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var (client, failure) = await clientAuthentication.AuthenticateAsync(context, form);
        if (client is null)
        {
            await OAuthResponses.ErrorAsync(context, failure!.Value.Status, failure.Value.Error, failure.Value.Description);
            return;
        }
        if (form["token"].ToString() is not { Length: > 0 } token)
        {
            await OAuthResponses.ErrorAsync(context, 400, "invalid_request", "token is required");
            return;
        }
        await server.RevokeAsync(client, token, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.CacheControl = "no-store";
    }
}
