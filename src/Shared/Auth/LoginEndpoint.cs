using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>GET /auth/login?return_url=/path: starts a browser login (gateway and jwt modes) and comes back to the local path (see <see cref="ReturnUrls"/>).</summary>
public sealed class LoginEndpoint(AuthSettingsProvider settings, BrowserSession browser) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (!settings.Current.Enabled)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Authentication is off on this gateway.");
        }
        // Refused, not replaced: a return URL that would leave this gateway is an attack or a bug worth seeing.
        var returnUrl = context.Request.Query["return_url"].ToString() is { Length: > 0 } given ? BrowserSession.CheckedReturnUrl(given) : "/";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(await browser.StartLoginAsync(context, null, returnUrl));
    }
}
