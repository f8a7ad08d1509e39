using System.Text;
using MasterMcp.Audit;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// GET/POST /oauth/consent: names the application, where it will send you and what it may do, and asks. Protected by a
/// CSRF token and by the browser binding of the request; never framed. Approval happens before the upstream login, so an
/// application cannot ride on the gateway's own standing with the identity provider (confused deputy).
/// </summary>
public sealed class ConsentEndpoint(AuthSettingsProvider settings, ClientRegistry clients, AuthStore store, BrowserSession browser,
    AuthorizationServer server, UpstreamLogin upstream, AuditTrail audit) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.IsGateway)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "This gateway is not an authorization server.");
        }
        if (HttpMethods.IsPost(context.Request.Method))
        {
            await PostAsync(context, current);
        }
        else
        {
            await GetAsync(context);
        }
    }

    private async Task GetAsync(HttpContext context)
    {
        var id = context.Request.Query["request"].ToString();
        var pending = await FindPendingAsync(id, context.RequestAborted);
        if (pending is null || pending.Value.Approved)
        {
            await HtmlPage.ErrorAsync(context, 400, "Request expired", "This authorization request is unknown, expired or already answered. Start again from your application.");
            return;
        }
        if (!browser.HasBinding(context, pending.Value.BrowserBinding))
        {
            await HtmlPage.ErrorAsync(context, 400, "Different browser", "This authorization request was started in another browser. Start again from your application.");
            return;
        }
        var request = pending.Value;
        var client = await clients.FindAsync(request.ClientId, context.RequestAborted);
        var user = await browser.GetUserAsync(context);
        var redirect = new Uri(request.RedirectUri);
        var redirectHost = redirect.Scheme is "http" or "https" ? redirect.Authority : redirect.Scheme + ":";
        var scopes = new StringBuilder();
        foreach (var scope in request.Scopes)
        {
            scopes.Append("<li><code>").Append(HtmlPage.E(scope)).Append("</code>").Append(scope == "mcp" ? " — use the MCP tools, resources and prompts of this gateway as you" : "").Append("</li>");
        }
        var who = user is null
            ? "<p class=\"note\">After you allow it, you will sign in with your identity provider.</p>"
            : $"<p class=\"note\">Signed in as {HtmlPage.E(user.Name ?? user.Subject)}.</p>";
        var body = $"""
            <p><strong id="client-name">{HtmlPage.E(client?.DisplayName ?? request.ClientId)}</strong> wants to access this MCP gateway on your behalf.</p>
            <dl>
            <dt>Application</dt><dd id="client-id">{HtmlPage.E(request.ClientId)}</dd>
            <dt>Sends you back to</dt><dd id="redirect-host">{HtmlPage.E(redirectHost)}</dd>
            <dt>Permissions</dt><dd><ul id="scopes" aria-label="Requested permissions">{scopes}</ul></dd>
            </dl>
            {who}
            <form method="post" action="/oauth/consent" aria-label="Authorize {HtmlPage.E(client?.DisplayName ?? request.ClientId)}">
            <input type="hidden" name="request" value="{HtmlPage.E(id)}">
            <input type="hidden" name="csrf" value="{HtmlPage.E(request.Csrf)}">
            <div class="actions">
            <button type="submit" class="primary" name="decision" value="approve">Allow</button>
            <button type="submit" name="decision" value="deny">Deny</button>
            </div>
            </form>
            <p class="note">Only allow applications you trust. You can revoke access later.</p>
            """;
        var targets = new List<string> { Origin(redirect) };
        if (user is null && await upstream.AuthorizationOriginAsync(context.RequestAborted) is { } idp)
        {
            targets.Add(idp);
        }
        await HtmlPage.WriteAsync(context, 200, "Authorize application", body, targets);
    }

    private async Task PostAsync(HttpContext context, AuthSettings current)
    {
        if (!context.Request.HasFormContentType)
        {
            await HtmlPage.ErrorAsync(context, 400, "Invalid request", "The consent form was not sent as a form.");
            return;
        }
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && origin != "null" && !string.Equals(origin, new Uri(current.BaseUrl).GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
            && !OriginPolicy.IsAllowed(origin, context, current.Options))
        {
            await HtmlPage.ErrorAsync(context, 403, "Forbidden", "The consent form was sent from another site.");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var id = form["request"].ToString();
        var pending = await FindPendingAsync(id, context.RequestAborted);
        if (pending is null || pending.Value.Approved)
        {
            await HtmlPage.ErrorAsync(context, 400, "Request expired", "This authorization request is unknown, expired or already answered. Start again from your application.");
            return;
        }
        var request = pending.Value;
        if (!browser.HasBinding(context, request.BrowserBinding) || !TokenCrypto.FixedEquals(form["csrf"].ToString(), request.Csrf))
        {
            await HtmlPage.ErrorAsync(context, 403, "Forbidden", "The consent form did not come from this browser's authorization page.");
            return;
        }
        if (form["decision"] != "approve")
        {
            await store.TakeAsync(AuthStore.Pending, id, AuthJsonContext.Default.PendingAuthorization, context.RequestAborted);
            // The person may not have signed in yet (consent comes before the upstream login): then there is no subject.
            var denier = await browser.GetUserAsync(context);
            audit.Record(AuditAction.Consent, AuditOutcome.Denied, denier?.Subject, denier?.Issuer, request.ClientId, name: string.Join(' ', request.Scopes), reason: "the user denied the request");
            context.Response.Redirect(server.ClientRedirect(request.RedirectUri, request.State, ("error", "access_denied"), ("error_description", "the user denied the request")));
            return;
        }
        var user = await browser.GetUserAsync(context);
        if (user is not null)
        {
            if (await store.TakeAsync(AuthStore.Pending, id, AuthJsonContext.Default.PendingAuthorization, context.RequestAborted) is null)
            {
                await HtmlPage.ErrorAsync(context, 400, "Request expired", "This authorization request was already answered.");
                return;
            }
            await server.RecordConsentAsync(user, request.ClientId, request.Scopes, context.RequestAborted);
            context.Response.Redirect(await server.IssueCodeAsync(request, user, context.RequestAborted));
            return;
        }
        try
        {
            await store.Table.UpdateAsync(AuthStore.Pending, id, request with { Approved = true }, pending.ETag, AuthJsonContext.Default.PendingAuthorization, pending.ExpiresAt, context.RequestAborted);
        }
        catch (Storage.StoreConflictException)
        {
            await HtmlPage.ErrorAsync(context, 400, "Request expired", "This authorization request was already answered.");
            return;
        }
        context.Response.Redirect(await browser.StartLoginAsync(context, id, "/"));
    }

    // Request ids are handles the gateway issued; any other text (empty, 40,000 characters, control characters) is simply unknown.
    private async Task<Storage.StoredEntity<PendingAuthorization>?> FindPendingAsync(string id, CancellationToken cancellationToken) =>
        TokenCrypto.IsHandleShaped(id) ? await store.GetAsync(AuthStore.Pending, id, AuthJsonContext.Default.PendingAuthorization, cancellationToken) : null;

    private static string Origin(Uri uri) => uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : uri.Scheme + ":";
}
