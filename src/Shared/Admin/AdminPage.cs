using System.Security.Cryptography;
using MasterMcp.Auth;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Admin;

/// <summary>
/// The console's page frame: server-rendered HTML, one stylesheet allowed by a nonce, no scripts at all, readable on a
/// phone (viewport meta; tables scroll sideways inside their own box), a skip link, landmarks and a labelled navigation.
/// </summary>
internal static class AdminPage
{
    private const string Style = """
        :root { color-scheme: light dark; --accent: #2449b8; --muted: #555c68; --border: #c9cdd5; --bg: #f6f7f9; --card: #fff; --fg: #1b1f24; --bad: #a61b1b; --ok: #1d6b34; }
        @media (prefers-color-scheme: dark) { :root { --bg: #15171b; --card: #1e2127; --fg: #e7e9ee; --muted: #b3b9c4; --border: #3d434e; --accent: #9db3ff; --bad: #ff9c9c; --ok: #8fe0a6; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
        a { color: var(--accent); }
        .skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; }
        .skip:focus { left: 0; }
        header { padding: .75rem 1rem; border-bottom: 1px solid var(--border); display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
        header .brand { font-weight: 600; }
        nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
        nav a[aria-current="page"] { font-weight: 700; }
        main { max-width: 64rem; margin: 1rem auto; padding: 1rem; background: var(--card); border: 1px solid var(--border); border-radius: 10px; }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--border); vertical-align: top; overflow-wrap: anywhere; }
        th { font-weight: 600; }
        form.inline { display: inline; margin: 0 .25rem .25rem 0; }
        form.lookup { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
        form.lookup div { display: flex; flex-direction: column; }
        input { font: inherit; padding: .4rem .5rem; border: 1px solid var(--muted); border-radius: 6px; background: var(--card); color: var(--fg); min-width: 12rem; }
        button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid var(--muted); background: var(--card); color: var(--fg); cursor: pointer; }
        button.danger { border-color: var(--bad); color: var(--bad); }
        button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .state-disabled, .state-failed { color: var(--bad); font-weight: 600; }
        .state-connected { color: var(--ok); font-weight: 600; }
        .note { color: var(--muted); font-size: .9rem; }
        p[role="status"] { border-left: 4px solid var(--ok); padding-left: .5rem; }
        """;

    /// <summary>The console's pages: path below /admin and title.</summary>
    public static readonly IReadOnlyList<(string Path, string Title)> Pages =
    [
        ("", "Backends"), ("catalog", "Catalog"), ("sessions", "Sessions"), ("users", "Users"), ("clients", "OAuth clients"), ("config", "Configuration"), ("errors", "Recent errors"),
    ];

    /// <summary>HTML-encodes text (control and bidi characters made visible).</summary>
    public static string E(string? text) => HtmlPage.E(text);

    /// <summary>Writes a complete console page.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string current, string title, string body, string? signedInAs)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var response = context.Response;
        // same-origin referrer policy: the console's forms then carry its Origin, which every POST requires.
        HtmlPage.SetPageHeaders(response, status, $"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", "same-origin");
        var nav = string.Join("", Pages.Select(p =>
            $"""<li><a href="/admin{(p.Path.Length == 0 ? "" : "/" + p.Path)}"{(p.Path == current ? " aria-current=\"page\"" : "")}>{E(p.Title)}</a></li>"""));
        var who = signedInAs is null ? "" : $"""<span class="note">Signed in as {E(signedInAs)}</span>""";
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · Admin · Master MCP Server</title>
            <style nonce="{nonce}">{Style}</style>
            </head>
            <body>
            <a class="skip" href="#content">Skip to content</a>
            <header>
            <span class="brand">Master MCP Server · Admin</span>
            <nav aria-label="Admin pages"><ul>{nav}</ul></nav>
            {who}
            </header>
            <main id="content">
            <h1>{E(title)}</h1>
            {body}
            </main>
            </body>
            </html>
            """;
        await response.WriteAsync(html, context.RequestAborted);
    }

    /// <summary>An error page in the console's frame.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string code, string message) =>
        WriteAsync(context, status, "", status == StatusCodes.Status403Forbidden ? "Access refused" : "Request refused",
            $"""<p role="alert">{E(message)}</p><p class="note">Reason: <code>{E(code)}</code></p>""", null);
}
