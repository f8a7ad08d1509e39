using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>GET /auth/session: who is logged in at this browser (200 with issuer, subject, name) or 401 with the login URL.</summary>
public sealed class SessionEndpoint(AuthSettingsProvider settings, BrowserSession browser) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (!settings.Current.Enabled)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Authentication is off on this gateway.");
        }
        var user = await browser.GetUserAsync(context);
        if (user is null)
        {
            await OAuthResponses.JsonAsync(context, new JsonObject { ["logged_in"] = false, ["login_url"] = BrowserSession.LoginPath("/auth/session") }, StatusCodes.Status401Unauthorized);
            return;
        }
        await OAuthResponses.JsonAsync(context, new JsonObject { ["logged_in"] = true, ["issuer"] = user.Issuer, ["subject"] = user.Subject, ["name"] = user.Name });
    }
}
