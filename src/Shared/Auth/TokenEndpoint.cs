using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>POST /token (gateway mode): authorization_code (PKCE required) and refresh_token (rotated) grants.</summary>
public sealed class TokenEndpoint(AuthSettingsProvider settings, ClientAuthentication clientAuthentication, AuthorizationServer server) : IEndpointHandler
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
        var (client, failure) = await clientAuthentication.AuthenticateAsync(context, form);
        if (client is null)
        {
            await OAuthResponses.ErrorAsync(context, failure!.Value.Status, failure.Value.Error, failure.Value.Description);
            return;
        }
        string? Field(string name) => form[name].Count > 0 ? form[name].ToString() : null;
        AuthorizationServer.IssuedTokens tokens;
        try
        {
            tokens = Field("grant_type") switch
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
            await OAuthResponses.ErrorAsync(context, 400, ex.Error, ex.Message);
            return;
        }
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
