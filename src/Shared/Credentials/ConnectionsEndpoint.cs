using System.Text;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Credentials;

/// <summary>
/// /connections: the logged-in person's backend accounts — which are connected, a form to disconnect each (revoking the
/// stored tokens) and to connect the others. Forms carry a CSRF token derived from the browser's binding cookie, and a POST
/// is refused unless its Origin (or Referer) is the gateway's own.
/// </summary>
public sealed class ConnectionsEndpoint(BrowserSession browser, BackendRegistry registry, TokenVault vault, ConnectFlow flow, AuthSettingsProvider settings) : IEndpointHandler
{
    /// <summary>The page's path.</summary>
    public const string Path = "/connections";

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var person = await browser.RequireLoginAsync(context, Path);
        if (person is null)
        {
            return;
        }
        var user = new UserIdentity(person.Issuer, person.Subject);
        var csrf = TokenCrypto.Hash("connections|" + browser.EnsureBinding(context));
        if (HttpMethods.IsPost(context.Request.Method))
        {
            // The CSRF token alone is not enough: a page of another site must not be able to post here at all.
            if (!OriginPolicy.IsOwnPageRequest(context, settings.Current.Options))
            {
                await HtmlPage.ErrorAsync(context, 403, "Request refused", "This form was sent from another site.");
                return;
            }
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (!TokenCrypto.FixedEquals(form["csrf"].ToString(), csrf))
            {
                await HtmlPage.ErrorAsync(context, 403, "Request refused", "This form is stale or did not come from this page. Reload the page and try again.");
                return;
            }
            var backendId = form["backend"].ToString();
            var definition = registry.Find(backendId);
            if (definition is null || !definition.UsesUserCredentials)
            {
                await HtmlPage.ErrorAsync(context, 404, "Unknown backend", "This backend is not configured for personal accounts.");
                return;
            }
            if (form["action"] == "connect")
            {
                var (url, _) = await flow.CreateLinkAsync(user, backendId, context.RequestAborted);
                context.Response.Redirect(new Uri(url).PathAndQuery);
                return;
            }
            await flow.DisconnectAsync(user, backendId, context.RequestAborted);
            context.Response.Redirect(Path);
            return;
        }
        var connected = (await vault.BackendsOfAsync(user, context.RequestAborted)).ToHashSet(StringComparer.Ordinal);
        var rows = new StringBuilder();
        foreach (var definition in registry.Definitions.Where(d => d.UsesUserCredentials && d.AuthStrategy != "master_oauth"))
        {
            var isConnected = connected.Contains(definition.Id);
            rows.Append($"""
                <li><strong>{HtmlPage.E(definition.Id)}</strong> — {(isConnected ? "connected" : "not connected")}
                <form method="post" action="{Path}"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="backend" value="{HtmlPage.E(definition.Id)}"><input type="hidden" name="action" value="{(isConnected ? "disconnect" : "connect")}"><button type="submit"{(isConnected ? "" : " class=\"primary\"")}>{(isConnected ? "Disconnect" : "Connect")}</button></form></li>
                """);
        }
        var body = rows.Length == 0
            ? "<p>No backend of this gateway uses personal accounts.</p>"
            : $"<p>Signed in as {HtmlPage.E(person.Name ?? person.Subject)}. Backends that act with your own account:</p><ul>{rows}</ul>";
        // same-origin: the page's forms then carry its Origin, which the POST above requires.
        await HtmlPage.WriteAsync(context, 200, "Your connections", body, referrerPolicy: "same-origin");
    }
}
