using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Auth;

/// <summary>
/// GET /oauth/callback: the identity provider (or a backend's provider, see ConnectFlow) sends the browser back here. The state is single-use and short-lived and
/// must come back to the browser that started the login; the provider's issuer and subject become the gateway user.
/// </summary>
public sealed partial class LoginCallbackEndpoint(AuthSettingsProvider settings, AuthStore store, BrowserSession browser, UpstreamLogin upstream,
    AuthorizationServer server, Credentials.ConnectFlow connections, ILogger<LoginCallbackEndpoint> logger) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (!settings.Current.Enabled)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Authentication is off on this gateway.");
        }
        // One redirect URI for every provider: states of backend connect flows are handled by the connect flow.
        if (await connections.TryHandleCallbackAsync(context))
        {
            return;
        }
        var query = context.Request.Query;
        var state = query["state"].ToString();
        var login = state.Length == 0 ? null : await store.TakeAsync(AuthStore.Logins, TokenCrypto.Hash(state), AuthJsonContext.Default.LoginState, context.RequestAborted);
        if (login is null)
        {
            await HtmlPage.ErrorAsync(context, 400, "Sign-in failed", "This sign-in response is invalid, expired or was already used. Start again.");
            return;
        }
        if (!browser.HasBinding(context, login.BindingHash))
        {
            await HtmlPage.ErrorAsync(context, 400, "Sign-in failed", "This sign-in was started in another browser. Start again.");
            return;
        }
        if (query["error"].Count > 0 || query["code"].ToString().Length == 0)
        {
            await HtmlPage.ErrorAsync(context, 400, "Sign-in failed", "The identity provider did not sign you in (" + (query["error"].ToString() is { Length: > 0 } e ? e : "no code") + ").");
            return;
        }
        UpstreamLogin.Identity identity;
        try
        {
            identity = await upstream.CompleteAsync(query["code"].ToString(), login.Verifier, login.Nonce, context.RequestAborted);
        }
        catch (Exception ex) when (ex is UpstreamLoginException or HttpRequestException or InvalidOperationException)
        {
            LogLoginFailed(logger, ex);
            await HtmlPage.ErrorAsync(context, 502, "Sign-in failed", "The identity provider's answer could not be used: " + (ex is UpstreamLoginException ? ex.Message : "it could not be reached") + ".");
            return;
        }
        var user = await browser.EstablishAsync(context, identity);
        if (login.PendingId is null)
        {
            // Checked at /auth/login already; again here because the stored state may predate the rule.
            if (ReturnUrls.Problem(login.ReturnUrl) is { } problem)
            {
                await HtmlPage.ErrorAsync(context, 400, "Invalid return address", "You are signed in, but the address to return to " + problem + ".");
                return;
            }
            context.Response.Redirect(login.ReturnUrl);
            return;
        }
        var pending = await store.TakeAsync(AuthStore.Pending, login.PendingId, AuthJsonContext.Default.PendingAuthorization, context.RequestAborted);
        if (pending is null || !pending.Approved || !browser.HasBinding(context, pending.BrowserBinding))
        {
            await HtmlPage.ErrorAsync(context, 400, "Request expired", "You are signed in, but the application's authorization request expired or was already answered. Start again from your application.");
            return;
        }
        await server.RecordConsentAsync(user, pending.ClientId, pending.Scopes, context.RequestAborted);
        context.Response.Redirect(await server.IssueCodeAsync(pending, user, context.RequestAborted));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream login failed")]
    private static partial void LogLoginFailed(ILogger logger, Exception exception);
}
