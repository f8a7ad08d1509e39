using MasterMcp.Audit;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Credentials;

/// <summary>
/// Connecting a user's account at a backend's provider (delegate_oauth, and proxy_oauth when its tokens are gone):
/// a single-use, short-lived, unguessable link bound to (user, backend) — only its hash is stored — which only opens for
/// the same person logged in at the gateway (<see cref="BrowserSession"/>); then the provider's authorization code flow
/// with PKCE S256 and a state bound to the same user, backend and browser; the callback stores the tokens in the vault.
/// </summary>
public sealed partial class ConnectFlow(IStoreFactory stores, TokenProtector protector, BackendCredentials credentials, BackendTokenClient tokenClient,
    TokenVault vault, BrowserSession browser, AuthSettingsProvider settings, BackendRegistry registry, AuditTrail audit, TimeProvider time, ILogger<ConnectFlow> logger)
{
    /// <summary>The table of links and states.</summary>
    public const string TableName = "connect";

    /// <summary>Path of the link the user opens.</summary>
    public const string Path = "/connect";

    private const string Links = "link";
    private const string States = "state";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private ITableStore Table => stores.GetTable(TableName);

    /// <summary>Raised when a user connected (user key, backend id, elicitation id) or disconnected (elicitation id null).</summary>
    public event Action<string, string, string?>? Changed;

    /// <summary>Issues a link for <paramref name="user"/> to connect <paramref name="backendId"/>; returns it with the elicitation id it completes.</summary>
    public async Task<(string Url, string ElicitationId)> CreateLinkAsync(UserIdentity user, string backendId, CancellationToken cancellationToken)
    {
        var id = TokenCrypto.NewHandle();
        var elicitationId = Guid.NewGuid().ToString("N");
        await Table.AddAsync(Links, TokenCrypto.Hash(id), new ConnectLink(user.StorageKey, backendId, elicitationId), ConnectJsonContext.Default.ConnectLink,
            time.GetUtcNow() + Lifetime, cancellationToken);
        return (settings.Current.BaseUrl + Path + "?id=" + id, elicitationId);
    }

    /// <summary>GET /connect?id=…: checks who opens the link, then sends the browser to the provider.</summary>
    public async Task OpenAsync(HttpContext context)
    {
        var id = context.Request.Query["id"].ToString();
        var row = id.Length is > 0 and < 200 ? TokenCrypto.Hash(id) : null;
        var link = row is null ? null : await Table.GetAsync(Links, row, ConnectJsonContext.Default.ConnectLink, context.RequestAborted);
        if (link is null)
        {
            await HtmlPage.ErrorAsync(context, 400, "Link expired", "This connection link is invalid, expired or was already used. Call the tool again from your application to get a new one.");
            return;
        }
        var person = await browser.RequireLoginAsync(context, Path + "?id=" + Uri.EscapeDataString(id));
        if (person is null)
        {
            return;
        }
        if (!TokenCrypto.FixedEquals(new UserIdentity(person.Issuer, person.Subject).StorageKey, link.Value.UserKey))
        {
            LogForeignLink(logger, link.Value.BackendId);
            audit.Record(AuditAction.BackendConnect, AuditOutcome.Denied, person.Subject, person.Issuer, null, link.Value.BackendId, "connection", "the connect link was issued to another user");
            await HtmlPage.ErrorAsync(context, 403, "Not your link", "This connection link was issued to another user. Sign in as that user, or ask your application for your own link.");
            return;
        }
        bool taken;
        try
        {
            taken = await Table.DeleteAsync(Links, row!, link.ETag, context.RequestAborted);
        }
        catch (StoreConflictException)
        {
            taken = false;
        }
        if (!taken)
        {
            await HtmlPage.ErrorAsync(context, 400, "Link expired", "This connection link was already used. Call the tool again from your application to get a new one.");
            return;
        }
        await StartAsync(context, link.Value.UserKey, link.Value.BackendId, link.Value.ElicitationId);
    }

    /// <summary>Sends the browser to the backend's provider (authorization code + PKCE S256), with a state bound to user, backend and browser.</summary>
    public async Task StartAsync(HttpContext context, string userKey, string backendId, string elicitationId)
    {
        var definition = registry.Find(backendId);
        if (definition is null || !definition.UsesUserCredentials)
        {
            await HtmlPage.ErrorAsync(context, 404, "Unknown backend", "This backend is no longer configured.");
            return;
        }
        BackendProvider provider;
        try
        {
            provider = await credentials.ProviderAsync(definition, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BackendTokenException or HttpRequestException or Secrets.SecretResolutionException)
        {
            LogProviderFailed(logger, backendId, ex.Message);
            await HtmlPage.ErrorAsync(context, 502, "Provider unavailable", $"The sign-in provider of '{backendId}' could not be reached or is not usable.");
            return;
        }
        if (provider.AuthorizationEndpoint is null)
        {
            await HtmlPage.ErrorAsync(context, 400, "Cannot connect", $"'{backendId}' has no authorization endpoint configured; its tokens are managed by the operator.");
            return;
        }
        var state = TokenCrypto.NewHandle();
        var verifier = TokenCrypto.NewHandle() + TokenCrypto.NewHandle()[..20];
        var stateRow = TokenCrypto.Hash(state);
        var record = new ConnectState(userKey, backendId, elicitationId, protector.Protect(verifier, States + "|" + stateRow), TokenCrypto.Hash(browser.EnsureBinding(context)));
        await Table.AddAsync(States, stateRow, record, ConnectJsonContext.Default.ConnectState, time.GetUtcNow() + Lifetime, context.RequestAborted);
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = credentials.CallbackUrl,
            ["state"] = state,
            ["code_challenge"] = TokenCrypto.S256(verifier),
            ["code_challenge_method"] = "S256",
        };
        if (provider.Scopes.Count > 0)
        {
            query["scope"] = string.Join(' ', provider.Scopes);
        }
        if (provider.Resource is not null)
        {
            query["resource"] = provider.Resource;
        }
        foreach (var (name, value) in provider.ExtraAuthorizeParameters)
        {
            query[name] = value;
        }
        context.Response.Redirect(QueryHelpers.AddQueryString(provider.AuthorizationEndpoint, query));
    }

    /// <summary>
    /// GET /oauth/callback for backend providers: handles the request when its state belongs to a connect flow (returns
    /// true), else leaves it to the gateway's own login callback (returns false).
    /// </summary>
    public async Task<bool> TryHandleCallbackAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var state = query["state"].ToString();
        if (state.Length is 0 or > 200)
        {
            return false;
        }
        var row = TokenCrypto.Hash(state);
        var pending = await Table.GetAsync(States, row, ConnectJsonContext.Default.ConnectState, context.RequestAborted);
        if (pending is null)
        {
            return false;
        }
        bool taken;
        try
        {
            taken = await Table.DeleteAsync(States, row, pending.ETag, context.RequestAborted);
        }
        catch (StoreConflictException)
        {
            taken = false;
        }
        var flow = pending.Value;
        if (!taken)
        {
            await HtmlPage.ErrorAsync(context, 400, "Connection failed", "This answer from the provider was already used. Start again from your application.");
            return true;
        }
        if (!browser.HasBinding(context, flow.BindingHash))
        {
            await HtmlPage.ErrorAsync(context, 400, "Connection failed", "This connection was started in another browser. Start again from your application.");
            return true;
        }
        var person = await browser.GetUserAsync(context);
        if (person is null || !TokenCrypto.FixedEquals(new UserIdentity(person.Issuer, person.Subject).StorageKey, flow.UserKey))
        {
            LogForeignCallback(logger, flow.BackendId);
            audit.Record(AuditAction.BackendConnect, AuditOutcome.Denied, person?.Subject, person?.Issuer, null, flow.BackendId, "connection", "the connect flow was started by another user");
            await HtmlPage.ErrorAsync(context, 403, "Connection failed", "This connection was started by another user.");
            return true;
        }
        if (query["error"].Count > 0 || query["code"].ToString().Length == 0)
        {
            audit.Record(AuditAction.BackendConnect, AuditOutcome.Denied, person.Subject, person.Issuer, null, flow.BackendId, "connection",
                "the provider did not grant access: " + (query["error"].ToString() is { Length: > 0 } error ? error : "no code"));
            await HtmlPage.ErrorAsync(context, 400, "Not connected", "The provider did not grant access (" + (query["error"].ToString() is { Length: > 0 } e ? e : "no code") + ").");
            return true;
        }
        var definition = registry.Find(flow.BackendId);
        if (definition is null)
        {
            await HtmlPage.ErrorAsync(context, 404, "Unknown backend", "This backend is no longer configured.");
            return true;
        }
        var user = new UserIdentity(person.Issuer, person.Subject);
        string verifier;
        try
        {
            verifier = protector.Unprotect(flow.ProtectedVerifier, States + "|" + row);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            // Started on an instance with another TOKEN_ENC_KEY: this connection cannot be finished here. The user is
            // left unconnected (the next call asks again) instead of meeting a 500; the log says which key.
            LogUnreadableState(logger, definition.Id, ex.Message);
            await HtmlPage.ErrorAsync(context, 400, "Connection failed",
                $"The gateway could not finish connecting '{definition.Id}' (its instances are configured with different token keys). Call the tool again from your application to get a new link; if this repeats, tell the gateway's operator.");
            return true;
        }
        try
        {
            var provider = await credentials.ProviderAsync(definition, context.RequestAborted);
            var tokens = await tokenClient.ExchangeCodeAsync(provider, query["code"].ToString(), verifier, credentials.CallbackUrl, context.RequestAborted);
            await vault.SaveAsync(user, definition.Id, tokens, context.RequestAborted);
        }
        catch (BackendTokenException ex)
        {
            LogExchangeFailed(logger, definition.Id, ex.Message);
            audit.Record(AuditAction.BackendConnect, AuditOutcome.Error, person.Subject, person.Issuer, null, definition.Id, "connection", "code exchange failed: " + ex.Message);
            await HtmlPage.ErrorAsync(context, 502, "Connection failed", $"The provider of '{definition.Id}' did not issue a token: {ex.Message}.");
            return true;
        }
        // Sessions opened before (without a token, or with a dead one) are dropped so the next call starts fresh.
        await registry.EndUserSessionsAsync(definition.Id, user.StorageKey);
        LogConnected(logger, definition.Id);
        audit.Record(AuditAction.BackendConnect, AuditOutcome.Ok, person.Subject, person.Issuer, null, definition.Id, "connection");
        Changed?.Invoke(user.StorageKey, definition.Id, flow.ElicitationId);
        await HtmlPage.WriteAsync(context, 200, "Connected",
            $"""<p role="status">Your account is now connected to <strong>{HtmlPage.E(definition.Id)}</strong>.</p><p class="note">You can close this window and return to your application; retry what you were doing.</p>""");
        return true;
    }

    /// <summary>Forgets a user's tokens for a backend and closes their sessions of it.</summary>
    public async Task DisconnectAsync(UserIdentity user, string backendId, CancellationToken cancellationToken)
    {
        await vault.DeleteAsync(user, backendId, cancellationToken);
        audit.Record(AuditAction.Revocation, AuditOutcome.Ok, user.Subject, user.Issuer, null, backendId, "connection", "the user disconnected the backend");
        await registry.EndUserSessionsAsync(backendId, user.StorageKey);
        Changed?.Invoke(user.StorageKey, backendId, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A connect link for backend {BackendId} was opened by a different user than it was issued to; refused")]
    private static partial void LogForeignLink(ILogger logger, string backendId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A connect callback for backend {BackendId} arrived in another user's browser session; refused")]
    private static partial void LogForeignCallback(ILogger logger, string backendId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider of backend {BackendId} unusable: {Reason}")]
    private static partial void LogProviderFailed(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Code exchange for backend {BackendId} failed: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A connect callback for backend {BackendId} cannot be completed: {Reason}; the user must connect again")]
    private static partial void LogUnreadableState(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A user connected backend {BackendId}")]
    private static partial void LogConnected(ILogger logger, string backendId);
}
