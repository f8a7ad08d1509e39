using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace MasterMcp.Auth;

/// <summary>
/// Who is at the browser: a login session cookie established by the upstream login (gateway mode: as part of the OAuth
/// flow; jwt mode: an OIDC login to the same provider). Pages that act for a person (consent; connecting backend accounts)
/// use <see cref="GetUserAsync"/> or <see cref="RequireLoginAsync"/>. Sessions live in Table Storage, so any instance knows them.
/// </summary>
public sealed class BrowserSession(AuthSettingsProvider settings, AuthStore store, UpstreamLogin upstream, TimeProvider time)
{
    /// <summary>The login session cookie.</summary>
    public const string SessionCookie = "mcpgw-session";

    /// <summary>A random per-browser value that binds pending authorizations and logins to the browser that started them.</summary>
    public const string BindingCookie = "mcpgw-binding";

    /// <summary>The person logged in at this browser, or null.</summary>
    public async Task<GatewayUser?> GetUserAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.Enabled || context.Request.Cookies[current.CookieName(SessionCookie)] is not { Length: > 0 } value)
        {
            return null;
        }
        var session = await store.GetAsync(AuthStore.BrowserSessions, TokenCrypto.Hash(value), AuthJsonContext.Default.BrowserSessionRecord, context.RequestAborted);
        return session is null ? null : new GatewayUser(session.Value.Issuer, session.Value.Subject, [], null) { Name = session.Value.Name, Claims = session.Value.Claims ?? GatewayUser.NoClaims };
    }

    /// <summary>
    /// The logged-in person; when there is none, answers the request with a redirect to the login (which comes back to
    /// <paramref name="returnUrl"/>, a local path) and returns null.
    /// </summary>
    public async Task<GatewayUser?> RequireLoginAsync(HttpContext context, string returnUrl)
    {
        var user = await GetUserAsync(context);
        if (user is not null)
        {
            return user;
        }
        var target = await StartLoginAsync(context, null, returnUrl);
        context.Response.Redirect(target);
        return null;
    }

    /// <summary>Begins an upstream login; returns the provider URL to redirect to. <paramref name="pendingId"/> ties it to an /authorize request.</summary>
    public async Task<string> StartLoginAsync(HttpContext context, string? pendingId, string returnUrl)
    {
        if (!upstream.IsAvailable)
        {
            throw new GatewayHttpException(StatusCodes.Status501NotImplemented, "login_not_configured", "Browser login is not configured on this gateway.");
        }
        var state = TokenCrypto.NewHandle();
        var verifier = TokenCrypto.NewHandle() + TokenCrypto.NewHandle()[..20];
        var nonce = TokenCrypto.NewHandle();
        var record = new LoginState(settings.Current.Mode, pendingId, CheckedReturnUrl(returnUrl), verifier, nonce, TokenCrypto.Hash(EnsureBinding(context)));
        await store.AddAsync(AuthStore.Logins, TokenCrypto.Hash(state), record, AuthJsonContext.Default.LoginState,
            time.GetUtcNow() + TimeSpan.FromMinutes(10), context.RequestAborted);
        return await upstream.AuthorizeUrlAsync(state, verifier, nonce, context.RequestAborted);
    }

    /// <summary>Creates a login session for <paramref name="identity"/> and sets its cookie.</summary>
    public async Task<GatewayUser> EstablishAsync(HttpContext context, UpstreamLogin.Identity identity)
    {
        var current = settings.Current;
        var handle = TokenCrypto.NewHandle();
        var lifetime = TimeSpan.FromMinutes(current.Auth.BrowserSessionLifetimeMinutes);
        await store.AddAsync(AuthStore.BrowserSessions, TokenCrypto.Hash(handle), new BrowserSessionRecord(identity.Issuer, identity.Subject, identity.Name, time.GetUtcNow()) { Claims = identity.Claims },
            AuthJsonContext.Default.BrowserSessionRecord, time.GetUtcNow() + lifetime, context.RequestAborted);
        context.Response.Cookies.Append(current.CookieName(SessionCookie), handle, CookieOptions(current, lifetime));
        return new GatewayUser(identity.Issuer, identity.Subject, [], null) { Name = identity.Name, Claims = identity.Claims ?? GatewayUser.NoClaims };
    }

    /// <summary>Ends the login session of this browser.</summary>
    public async Task SignOutAsync(HttpContext context)
    {
        var current = settings.Current;
        if (context.Request.Cookies[current.CookieName(SessionCookie)] is { Length: > 0 } value)
        {
            await store.Table.DeleteAsync(AuthStore.BrowserSessions, TokenCrypto.Hash(value), cancellationToken: context.RequestAborted);
        }
        context.Response.Cookies.Delete(current.CookieName(SessionCookie), CookieOptions(current, null));
    }

    /// <summary>This browser's binding value (set as a cookie when it has none yet).</summary>
    public string EnsureBinding(HttpContext context)
    {
        var current = settings.Current;
        var name = current.CookieName(BindingCookie);
        if (context.Items[name] is string fresh)
        {
            return fresh;
        }
        if (context.Request.Cookies[name] is { Length: >= 32 } existing)
        {
            return existing;
        }
        var value = TokenCrypto.NewHandle();
        context.Items[name] = value;
        context.Response.Cookies.Append(name, value, CookieOptions(current, null));
        return value;
    }

    /// <summary>True when this browser carries the binding whose hash is <paramref name="bindingHash"/>.</summary>
    public bool HasBinding(HttpContext context, string bindingHash) =>
        context.Request.Cookies[settings.Current.CookieName(BindingCookie)] is { Length: > 0 } value && TokenCrypto.FixedEquals(TokenCrypto.Hash(value), bindingHash);

    /// <summary>The login URL of this gateway for a return path (what pages link to).</summary>
    public static string LoginPath(string returnUrl) => QueryHelpers.AddQueryString("/auth/login", "return_url", CheckedReturnUrl(returnUrl));

    /// <summary><paramref name="returnUrl"/> when <see cref="ReturnUrls"/> accepts it; a 400 naming the problem otherwise.</summary>
    public static string CheckedReturnUrl(string returnUrl) =>
        ReturnUrls.Problem(returnUrl) is { } problem
            ? throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_return_url", "return_url " + problem + ".")
            : returnUrl;

    private static CookieOptions CookieOptions(AuthSettings current, TimeSpan? lifetime) => new()
    {
        HttpOnly = true,
        Secure = current.SecureCookies,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        MaxAge = lifetime,
        IsEssential = true,
    };
}
