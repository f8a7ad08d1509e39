using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MasterMcp.Admin;

/// <summary>
/// Who may use the admin console and API. An admin is a person whose subject is in <c>admin.subjects</c>, or whose
/// <c>roles</c> or <c>groups</c> claim holds a value of <c>admin.roles</c>. They come either through the gateway's browser
/// login, or (API) with a bearer access token that also carries the <c>admin</c> scope — the scope alone is not enough,
/// so a client that merely asks the authorization server for it gains nothing. With <c>auth.mode none</c> (Development
/// only) the console is open to loopback callers only. Every refusal is a 403 naming its reason.
/// </summary>
public sealed class AdminAccess(AuthSettingsProvider settings, BrowserSession browser, IOptionsMonitor<GatewayOptions> options)
{
    /// <summary>The scope a bearer token needs for the admin API.</summary>
    public const string Scope = "admin";

    /// <summary>The claims whose values are compared with <c>admin.roles</c>.</summary>
    public static readonly IReadOnlyList<string> RoleClaims = ["roles", "groups"];

    /// <summary>
    /// The admin behind this request; null when nobody is signed in (the console then starts a login, the API refuses).
    /// Throws a 403 <see cref="GatewayHttpException"/> naming the reason for anyone who is not an admin.
    /// </summary>
    public async Task<AdminCaller?> IdentifyAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.Enabled)
        {
            // auth.mode none only starts in Development; even there, only this machine may steer the gateway.
            if (AuthOptionsValidator.IsDevelopment(current.EnvironmentName) && context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote))
            {
                return new AdminCaller("anonymous", null, null, AdminVia.Loopback);
            }
            throw Forbidden("admin_loopback_only", "Without authentication (auth.mode none) the admin console and API answer loopback callers in Development only.");
        }
        if (GatewayUser.From(context) is { } bearer)
        {
            // The pipeline validated the token (the route's authentication is Optional: a browser may come without one).
            if (!bearer.HasScopes([Scope]))
            {
                throw Forbidden("insufficient_scope", $"The access token lacks the '{Scope}' scope the admin API needs.");
            }
            return IsAdmin(bearer) ? new AdminCaller(bearer.Subject, bearer.Issuer, bearer.ClientId, AdminVia.Bearer) : throw NotAdmin();
        }
        var person = await browser.GetUserAsync(context);
        if (person is null)
        {
            return null;
        }
        return IsAdmin(person) ? new AdminCaller(person.Subject, person.Issuer, null, AdminVia.Browser) : throw NotAdmin();
    }

    /// <summary>True when <paramref name="user"/> is listed in <c>admin.subjects</c> or holds one of <c>admin.roles</c> in a role claim.</summary>
    public bool IsAdmin(GatewayUser user)
    {
        var admin = options.CurrentValue.Admin;
        if (admin.Subjects.Contains(user.Subject, StringComparer.Ordinal))
        {
            return true;
        }
        foreach (var claim in RoleClaims)
        {
            if (user.Claims.TryGetValue(claim, out var values) && values.Any(v => admin.Roles.Contains(v, StringComparer.Ordinal)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The console's CSRF token: bound to this browser's binding cookie, so another site cannot know it.</summary>
    public string CsrfToken(HttpContext context) => TokenCrypto.Hash("admin|" + browser.EnsureBinding(context));

    /// <summary>
    /// Refuses a state change that a foreign page could have caused: every POST whose <c>Origin</c> names another site;
    /// and, for a browser (cookie, or loopback with an Origin or Referer) caller, a POST that does not come from the gateway's
    /// own pages or lacks the CSRF token. Bearer-token callers and loopback tools without Origin need no CSRF token.
    /// </summary>
    public async Task CheckStateChangeAsync(HttpContext context, AdminCaller caller)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !OriginPolicy.IsOwnPageRequest(context, options.CurrentValue))
        {
            throw Forbidden("cross_site_request", $"Origin '{origin}' is not this gateway: admin changes are only accepted from the gateway's own pages.");
        }
        // Bearer tokens are not ambient browser credentials; a loopback caller (auth.mode none) that sends neither Origin nor
        // Referer is a local tool such as curl, not a browser (browsers send Origin with every form POST).
        if (caller.Via == AdminVia.Bearer
            || (caller.Via == AdminVia.Loopback && origin.Length == 0 && context.Request.Headers.Referer.Count == 0))
        {
            return;
        }
        if (!OriginPolicy.IsOwnPageRequest(context, options.CurrentValue))
        {
            throw Forbidden("cross_site_request", "This change did not come from the admin console's pages (no Origin or Referer of this gateway).");
        }
        var presented = context.Request.Headers["X-CSRF-Token"].ToString();
        if (presented.Length == 0 && context.Request.HasFormContentType)
        {
            presented = (await context.Request.ReadFormAsync(context.RequestAborted))["csrf"].ToString();
        }
        if (!TokenCrypto.FixedEquals(presented, CsrfToken(context)))
        {
            throw Forbidden("csrf_token_invalid", "The form's CSRF token is missing or stale; reload the page and try again.");
        }
    }

    private static GatewayHttpException NotAdmin() =>
        Forbidden("not_admin", "You are signed in but not an admin: your subject is not in admin.subjects and your roles/groups claims hold none of admin.roles.");

    /// <summary>A 403 with a machine-readable code and a message naming the reason.</summary>
    public static GatewayHttpException Forbidden(string code, string message) => new(StatusCodes.Status403Forbidden, code, message);
}
