using System.Text.Json.Nodes;
using MasterMcp.Audit;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>POST /token (gateway mode): authorization_code (PKCE required) and refresh_token (rotated) grants.</summary>
/// <remarks>Every grant attempt past the form checks is audited: issued (ok) or refused (denied, with the OAuth error).</remarks>
public sealed class TokenEndpoint(AuthSettingsProvider settings, ClientAuthentication clientAuthentication, AuthorizationServer server, AuditTrail audit) : IEndpointHandler
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
            await OAuthResponses.ErrorAsync(context, 400, "invalid_request", "send the token request as application/x-www-form-urlencoded");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form.Any(p => p.Value.Count > 1))
        {
            await OAuthResponses.ErrorAsync(context, 400, "invalid_request", "a parameter appears more than once");
            return;
        }
        var started = audit.Now();
        string? Field(string name) => form[name].Count > 0 ? form[name].ToString() : null;
        var grantType = Field("grant_type");
        var (client, failure) = await clientAuthentication.AuthenticateAsync(context, form);
        if (client is null)
        {
            // The client id is the one claimed (it did not authenticate); never the secret.
            audit.Record(AuditAction.OAuthGrant, AuditOutcome.Denied, null, null, Field("client_id"), name: grantType,
                reason: failure!.Value.Error + ": " + failure.Value.Description, startedAt: started);
            await OAuthResponses.ErrorAsync(context, failure.Value.Status, failure.Value.Error, failure.Value.Description);
            return;
        }
        AuthorizationServer.IssuedTokens tokens;
        try
        {
            tokens = grantType switch
            {
                "authorization_code" => await server.RedeemCodeAsync(client, Field("code") ?? throw new AuthorizationServer.TokenError("invalid_request", "code is required"),
                    Field("redirect_uri"), Field("code_verifier"), Field("resource"), context.RequestAborted),
                "refresh_token" => await server.RefreshAsync(client, Field("refresh_token") ?? throw new AuthorizationServer.TokenError("invalid_request", "refresh_token is required"),
                    Field("resource"), Field("scope"), context.RequestAborted),
                null => throw new AuthorizationServer.TokenError("invalid_request", "grant_type is required"),
                var other => throw new AuthorizationServer.TokenError("unsupported_grant_type", $"grant_type '{other}' is not supported"),
            };
        }
        catch (AuthorizationServer.TokenError ex)
        {
            audit.Record(AuditAction.OAuthGrant, AuditOutcome.Denied, null, null, client.ClientId, name: grantType, reason: ex.Error + ": " + ex.Message, startedAt: started);
            await OAuthResponses.ErrorAsync(context, 400, ex.Error, ex.Message);
            return;
        }
        audit.Record(AuditAction.OAuthGrant, AuditOutcome.Ok, tokens.User?.Subject, tokens.User?.Issuer, client.ClientId, name: grantType, startedAt: started);
        context.Response.Headers.Pragma = "no-cache";
        await OAuthResponses.JsonAsync(context, new JsonObject
        {
            ["access_token"] = tokens.AccessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = tokens.ExpiresIn,
            ["refresh_token"] = tokens.RefreshToken,
            ["scope"] = string.Join(' ', tokens.Scopes),
        });
    }
}
