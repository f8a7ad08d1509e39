using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// The gateway's few HTML pages (consent, success, error): plain, accessible markup in the product's look, one inline
/// stylesheet allowed by a nonce, no scripts, no external origins, never framed, never cached.
/// </summary>
public static class HtmlPage
{
    private const string Style = """
        :root { color-scheme: light dark; --accent: #2f5bd3; --muted: #5b6270; --border: #d6d9df; --bg: #f6f7f9; --card: #fff; --fg: #1b1f24; }
        @media (prefers-color-scheme: dark) { :root { --bg: #15171b; --card: #1e2127; --fg: #e7e9ee; --muted: #a3aab6; --border: #343943; --accent: #7d9cff; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
        header { padding: 1rem 1.5rem; border-bottom: 1px solid var(--border); font-weight: 600; }
        main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem 2rem; background: var(--card); border: 1px solid var(--border); border-radius: 12px; }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        ul { padding-left: 1.2rem; }
        .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
        button { font: inherit; padding: .6rem 1.2rem; border-radius: 8px; border: 1px solid var(--border); background: var(--card); color: var(--fg); cursor: pointer; }
        button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .note { color: var(--muted); font-size: .9rem; }
        """;

    /// <summary>HTML-encodes text, with bidi and other control characters shown as visible escapes.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(DisplayText.Neutralise(text ?? ""));

    /// <summary>
    /// Writes a complete page. <paramref name="formTargets"/> are extra origins a form on the page may end up at (after
    /// redirects); <paramref name="referrerPolicy"/> stays <c>no-referrer</c> unless the page's own forms must carry their
    /// Origin (browsers send <c>Origin: null</c> with POSTs from a no-referrer page).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string bodyHtml, IEnumerable<string>? formTargets = null, string referrerPolicy = "no-referrer")
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var formAction = string.Join(' ', new[] { "'self'" }.Concat(formTargets ?? []).Distinct());
        var response = context.Response;
        SetPageHeaders(response, status, $"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'", referrerPolicy);
        response.Headers.Pragma = "no-cache";
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · Master MCP Server</title>
            <style nonce="{nonce}">{Style}</style>
            </head>
            <body>
            <header role="banner">Master MCP Server</header>
            <main role="main">
            <h1>{E(title)}</h1>
            {bodyHtml}
            </main>
            </body>
            </html>
            """;
        await response.WriteAsync(html, context.RequestAborted);
    }

    /// <summary>
    /// What every HTML page of the gateway (these and the admin console's) answers with: status, HTML content type, never
    /// cached, never framed, no sniffing, the page's content security policy and referrer policy.
    /// </summary>
    internal static void SetPageHeaders(HttpResponse response, int status, string contentSecurityPolicy, string referrerPolicy)
    {
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["Content-Security-Policy"] = contentSecurityPolicy;
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = referrerPolicy;
    }

    /// <summary>An error page (never a redirect): used when the request cannot be trusted to go back to the client.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string title, string message) =>
        WriteAsync(context, status, title, $"""<p role="alert">{E(message)}</p><p class="note">You can close this window.</p>""");
}
