using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace MasterMcp.Auth;

/// <summary>
/// GET /authorize (gateway mode): the authorization code flow with PKCE S256 only. Until the client and its exact
/// redirect URI are known, errors are pages (never redirects); after that they go back to the client. The request is
/// stored and bound to this browser, then the consent page takes over.
/// </summary>
public sealed class AuthorizeEndpoint(AuthSettingsProvider settings, ClientRegistry clients, AuthStore store, BrowserSession browser,
    AuthorizationServer server, TimeProvider time) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.IsGateway)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "This gateway is not an authorization server.");
        }
        var query = context.Request.Query;
        if (query.Any(p => p.Value.Count > 1))
        {
            await HtmlPage.ErrorAsync(context, 400, "Invalid request", "A parameter appears more than once in this authorization request.");
            return;
        }
        var clientId = query["client_id"].ToString();
        if (clientId.Length == 0)
        {
            await HtmlPage.ErrorAsync(context, 400, "Invalid request", "The authorization request has no client_id.");
            return;
        }
        OAuthClient? client;
        try
        {
            client = await clients.FindAsync(clientId, context.RequestAborted);
        }
        catch (ClientMetadataDocumentException ex)
        {
            await HtmlPage.ErrorAsync(context, 400, "Unknown application", "This application could not be verified: " + ex.Message + ".");
            return;
        }
        if (client is null)
        {
            await HtmlPage.ErrorAsync(context, 400, "Unknown application", "No application is registered with this client_id.");
            return;
        }
        var redirectUri = query["redirect_uri"].ToString();
        if (redirectUri.Length == 0 && client.RedirectUris.Count == 1)
        {
            redirectUri = client.RedirectUris[0];
        }
        if (!client.RedirectUris.Any(registered => RedirectUris.Matches(registered, redirectUri)))
        {
            await HtmlPage.ErrorAsync(context, 400, "Invalid redirect", "The redirect_uri of this request is not registered for the application, so the gateway will not send you there.");
            return;
        }

        var state = query["state"].Count > 0 ? query["state"].ToString() : null;
        string? error = null;
        if (query["response_type"] != "code")
        {
            error = "unsupported_response_type|only response_type=code is supported";
        }
        else if (query["code_challenge"].ToString() is not { Length: >= 43 and <= 128 } challenge || !challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            error = "invalid_request|PKCE is required: send a code_challenge (S256)";
        }
        else if (query["code_challenge_method"] != "S256")
        {
            error = "invalid_request|code_challenge_method must be S256 ('plain' is not accepted)";
        }
        else if (query["resource"].Count > 0 && !current.Resources.Contains(query["resource"].ToString(), StringComparer.Ordinal))
        {
            error = "invalid_target|this server only issues tokens for " + string.Join(", ", current.Resources);
        }
        var scopes = server.GrantableScopes(client, query["scope"].Count > 0 ? query["scope"].ToString() : null);
        if (error is null && scopes is null)
        {
            error = "invalid_scope|a requested scope is not available to this application";
        }
        if (error is not null)
        {
            var parts = error.Split('|', 2);
            context.Response.Redirect(server.ClientRedirect(redirectUri, state, ("error", parts[0]), ("error_description", parts[1])));
            return;
        }

        var pending = new PendingAuthorization(client.ClientId, redirectUri, query["code_challenge"].ToString(), state, scopes!, query["resource"].Count > 0 ? query["resource"].ToString() : current.Resource,
            TokenCrypto.NewHandle(), TokenCrypto.Hash(browser.EnsureBinding(context)), time.GetUtcNow());
        var user = await browser.GetUserAsync(context);
        // prompt=consent (OIDC Core 3.1.2.1): ask again even when this person already approved this application.
        var promptConsent = query["prompt"].ToString().Split(' ').Contains("consent", StringComparer.Ordinal);
        if (user is not null && !promptConsent && await server.HasConsentAsync(user, client.ClientId, pending.Scopes, context.RequestAborted))
        {
            // This person already approved this application for these scopes.
            context.Response.Redirect(await server.IssueCodeAsync(pending, user, context.RequestAborted));
            return;
        }
        var id = TokenCrypto.NewHandle();
        await store.AddAsync(AuthStore.Pending, id, pending, AuthJsonContext.Default.PendingAuthorization,
            time.GetUtcNow() + TimeSpan.FromSeconds(current.Auth.PendingAuthorizationLifetimeSeconds), context.RequestAborted);
        context.Response.Redirect(QueryHelpers.AddQueryString("/oauth/consent", "request", id));
    }
}
