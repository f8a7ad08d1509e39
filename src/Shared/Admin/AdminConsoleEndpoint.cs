using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Auth;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace MasterMcp.Admin;

/// <summary>
/// The admin console, <c>/admin</c>: server-rendered pages over the same operations as the API (<see cref="AdminOperations"/>),
/// with plain HTML forms (no scripts) for changes. Forms POST to <c>/admin/actions</c> with a CSRF token and are refused
/// from any other origin; after a change the browser is sent back to the page it came from (303).
/// </summary>
public sealed class AdminConsoleEndpoint(AdminAccess access, AdminOperations operations, BrowserSession browser) : IEndpointHandler
{
    /// <summary>The console's base path.</summary>
    public const string BasePath = "/admin";

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        AdminCaller? caller;
        try
        {
            caller = await access.IdentifyAsync(context);
        }
        catch (GatewayHttpException ex)
        {
            await AdminPage.ErrorAsync(context, ex.StatusCode, ex.Code, ex.Message);
            return;
        }
        var path = (context.Request.Path.Value ?? "").TrimEnd('/');
        var page = path.Length > BasePath.Length ? path[(BasePath.Length + 1)..] : "";
        if (caller is null)
        {
            // Not signed in: the gateway's browser login, back to this page afterwards.
            await browser.RequireLoginAsync(context, HttpMethods.IsGet(context.Request.Method) ? path + context.Request.QueryString : BasePath);
            return;
        }
        try
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                await PostAsync(context, caller, page);
                return;
            }
            await GetAsync(context, caller, page);
        }
        catch (GatewayHttpException ex)
        {
            await AdminPage.ErrorAsync(context, ex.StatusCode, ex.Code, ex.Message);
        }
    }

    private async Task PostAsync(HttpContext context, AdminCaller caller, string page)
    {
        await access.CheckStateChangeAsync(context, caller);
        if (page != "actions")
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Console forms post to /admin/actions.");
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var target = form["target"].ToString();
        var ct = context.RequestAborted;
        string done;
        switch (form["action"].ToString())
        {
            case "disable":
                await operations.SetBackendEnabledAsync(caller, target, enabled: false, ct);
                done = $"Backend {target} disabled on every instance.";
                break;
            case "enable":
                await operations.SetBackendEnabledAsync(caller, target, enabled: true, ct);
                done = $"Backend {target} enabled again.";
                break;
            case "reconnect":
                var reconnected = await operations.ReconnectAsync(caller, target, ct);
                done = (string?)reconnected["instances"] == "all" ? $"Backend {target} reconnected on every instance." : $"Backend {target} reconnected on this instance.";
                break;
            case "revoke":
                await operations.RevokeAsync(caller, form["subject"].ToString(), form["issuer"].ToString(), target, ct);
                done = $"Connection of {form["subject"]} to {target} revoked.";
                break;
            case "delete-client":
                await operations.DeleteClientAsync(caller, target, ct);
                done = $"Client {target} deleted.";
                break;
            case "restore-client":
                await operations.RestoreClientAsync(caller, target, ct);
                done = $"Client {target} restored.";
                break;
            default:
                throw new GatewayHttpException(StatusCodes.Status400BadRequest, "unknown_action", $"Unknown console action '{AdminOperations.Short(form["action"].ToString())}'.");
        }
        var back = form["return"].ToString();
        // Only back into the console: never an open redirect.
        if (!back.StartsWith(BasePath, StringComparison.Ordinal) || back.StartsWith("//", StringComparison.Ordinal) || back.Contains('\\', StringComparison.Ordinal))
        {
            back = BasePath;
        }
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = QueryHelpers.AddQueryString(back, "done", done);
    }

    private async Task GetAsync(HttpContext context, AdminCaller caller, string page)
    {
        var ct = context.RequestAborted;
        var csrf = access.CsrfToken(context);
        var query = context.Request.Query;
        var back = context.Request.Path + context.Request.QueryString.ToString();
        var body = new StringBuilder();
        if (query["done"].ToString() is { Length: > 0 } done)
        {
            body.Append($"""<p role="status">{E(done)}</p>""");
        }
        string title;
        switch (page)
        {
            case "":
                title = "Backends";
                body.Append(Backends(await operations.BackendsAsync(ct), csrf, BasePath));
                break;
            case "catalog":
                title = "Catalog";
                body.Append(Catalog(await operations.CatalogAsync(ct)));
                break;
            case "sessions":
                title = "Sessions";
                body.Append(Sessions(await operations.SessionsAsync(ct)));
                break;
            case "users":
                title = "Users";
                body.Append(await UsersAsync(query, csrf, back, ct));
                break;
            case "clients":
                title = "OAuth clients";
                body.Append(Clients(await operations.ClientsAsync(ct), csrf));
                break;
            case "config":
                title = "Configuration";
                body.Append(Config(operations.Config()));
                break;
            case "errors":
                title = "Recent errors";
                body.Append(Errors(operations.Errors()));
                break;
            default:
                throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", $"There is no console page '{AdminOperations.Short(page)}'.");
        }
        await AdminPage.WriteAsync(context, 200, page, title, body.ToString(), caller.Via == AdminVia.Loopback ? "loopback (auth.mode none)" : caller.Subject);
    }

    private static string Backends(JsonObject data, string csrf, string back)
    {
        var rows = new StringBuilder();
        foreach (var b in data["backends"]!.AsArray())
        {
            var id = (string)b!["id"]!;
            var state = (string)b["state"]!;
            var actions = state == "disabled"
                ? Button(csrf, back, "enable", id, "Enable", $"Enable backend {id}")
                : Button(csrf, back, "disable", id, "Disable", $"Disable backend {id}", danger: true) + Button(csrf, back, "reconnect", id, "Reconnect", $"Reconnect backend {id}");
            var detail = state == "disabled"
                ? $"override by {E((string?)b["override"]?["by"])} at {E(b["override"]?["at"]?.ToString())} (wins over the configuration until enabled)"
                : E((string?)b["last_error"]);
            rows.Append($"""
                <tr><th scope="row">{E(id)}</th><td class="state-{E(state.Replace('_', '-'))}">{E(state)}</td><td>{E(b["transport"]?.ToString())}</td><td>{E(b["tools"]?.ToString())}</td><td>{E(b["latency_ms"]?.ToString())}</td><td>{detail}</td><td>{actions}</td></tr>
                """);
        }
        return $"""
            <div class="table"><table>
            <caption class="note">Every configured backend. A disabled backend leaves every instance's lists; clients get list_changed.</caption>
            <thead><tr><th scope="col">Backend</th><th scope="col">State</th><th scope="col">Transport</th><th scope="col">Tools</th><th scope="col">Latency (ms)</th><th scope="col">Last error / override</th><th scope="col">Actions</th></tr></thead>
            <tbody>{rows}</tbody></table></div>
            """;
    }

    private static string Catalog(JsonObject data)
    {
        var sb = new StringBuilder();
        foreach (var (key, label) in new[] { ("tools", "Tools"), ("prompts", "Prompts"), ("resources", "Resources"), ("resource_templates", "Resource templates") })
        {
            var items = data[key]!.AsArray();
            sb.Append($"""<h2>{label} ({items.Count})</h2>""");
            if (items.Count == 0)
            {
                sb.Append("<p class=\"note\">None.</p>");
                continue;
            }
            sb.Append($"""<div class="table"><table><thead><tr><th scope="col">Public name</th><th scope="col">Backend</th><th scope="col">Backend's name</th></tr></thead><tbody>""");
            foreach (var i in items)
            {
                sb.Append($"""<tr><td>{E((string?)i!["name"])}</td><td>{E((string?)i["backend"])}</td><td>{E((string?)i["original_name"])}</td></tr>""");
            }
            sb.Append("</tbody></table></div>");
        }
        var collisions = data["collisions"]!.AsArray();
        sb.Append($"""<h2>Name collisions ({collisions.Count})</h2>""");
        sb.Append(collisions.Count == 0 ? "<p class=\"note\">None.</p>" : "<ul>" + string.Join("", collisions.Select(c =>
            $"""<li>{E((string?)c!["kind"])} <strong>{E((string?)c["name"])}</strong>: kept from {E((string?)c["kept_backend"])}, skipped from {E((string?)c["skipped_backend"])}</li>""")) + "</ul>");
        return sb.ToString();
    }

    private static string Sessions(JsonObject data)
    {
        var rows = string.Join("", data["instances"]!.AsArray().Select(i =>
            $"""<tr><td>{E((string?)i!["instance"])}{((bool?)i["this_instance"] == true ? " (this instance)" : "")}</td><td>{E(i["sessions"]?.ToString())}</td><td>{E(i["reported_at"]?.ToString())}</td></tr>"""));
        return $"""
            <p>Total: <strong>{E(data["total"]?.ToString())}</strong> client sessions ({((string?)data["source"] == "redis" ? "every instance, reported through Redis" : "this instance only: no Redis configured")}).</p>
            <div class="table"><table><thead><tr><th scope="col">Instance</th><th scope="col">Sessions</th><th scope="col">Reported at</th></tr></thead><tbody>{rows}</tbody></table></div>
            """;
    }

    private async Task<string> UsersAsync(IQueryCollection query, string csrf, string back, CancellationToken ct)
    {
        var subject = query["subject"].ToString();
        var issuer = query["issuer"].ToString();
        var scope = query["scope"].ToString();
        var sb = new StringBuilder($"""
            <form class="lookup" method="get" action="{BasePath}/users">
            <div><label for="subject">Subject</label><input id="subject" name="subject" value="{E(subject)}" required></div>
            <div><label for="issuer">Issuer (optional)</label><input id="issuer" name="issuer" value="{E(issuer)}" placeholder="{E(operations.DefaultIssuer())}"></div>
            <div><label for="scope">Scopes for the catalog view (optional)</label><input id="scope" name="scope" value="{E(scope)}"></div>
            <button type="submit">Look up</button>
            </form>
            """);
        if (subject.Length == 0)
        {
            sb.Append("<p class=\"note\">Enter a subject to see the user's backend connections and the catalog the policies let them see.</p>");
            return sb.ToString();
        }
        var connections = await operations.ConnectionsAsync(subject, issuer, ct);
        var list = connections["connections"]!.AsArray();
        sb.Append("<h2>Backend connections</h2>");
        if (list.Count == 0)
        {
            sb.Append("<p class=\"note\">No stored connections.</p>");
        }
        else
        {
            sb.Append("<ul>");
            foreach (var c in list)
            {
                var backend = (string)c!["backend"]!;
                sb.Append($"""
                    <li><strong>{E(backend)}</strong> <form class="inline" method="post" action="{BasePath}/actions"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="revoke"><input type="hidden" name="target" value="{E(backend)}"><input type="hidden" name="subject" value="{E(subject)}"><input type="hidden" name="issuer" value="{E(issuer)}"><input type="hidden" name="return" value="{E(back)}"><button type="submit" class="danger" aria-label="Revoke the connection of {E(subject)} to {E(backend)}">Revoke</button></form></li>
                    """);
            }
            sb.Append("</ul>");
        }
        var view = await operations.UserCatalogAsync(subject, issuer, [.. scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)], new Dictionary<string, IReadOnlyList<string>>(), ct);
        sb.Append($"""<h2>Effective catalog</h2><p class="note">{E((string?)view["note"])}</p>""");
        sb.Append($"""<div class="table"><table><thead><tr><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Backend</th><th scope="col">Visible</th></tr></thead><tbody>""");
        foreach (var i in view["visible"]!.AsArray())
        {
            sb.Append($"""<tr><td>{E((string?)i!["kind"])}</td><td>{E((string?)i["name"])}</td><td>{E((string?)i["backend"])}</td><td>yes</td></tr>""");
        }
        foreach (var i in view["hidden"]!.AsArray())
        {
            sb.Append($"""<tr><td>{E((string?)i!["kind"])}</td><td>{E((string?)i["name"])}</td><td>{E((string?)i["backend"])}</td><td>hidden by {E((string?)i["hidden_by"])}</td></tr>""");
        }
        sb.Append("</tbody></table></div>");
        return sb.ToString();
    }

    private static string Clients(JsonObject data, string csrf)
    {
        var rows = new StringBuilder();
        foreach (var c in data["clients"]!.AsArray())
        {
            var id = (string)c!["client_id"]!;
            var deleted = (bool?)c["deleted"] == true;
            var action = deleted
                ? Button(csrf, BasePath + "/clients", "restore-client", id, "Restore", $"Restore client {id}")
                : Button(csrf, BasePath + "/clients", "delete-client", id, "Delete", $"Delete client {id}", danger: true);
            rows.Append($"""<tr><td>{E(id)}</td><td>{E((string?)c["client_name"])}</td><td>{E((string?)c["kind"])}</td><td>{(deleted ? "deleted (override)" : "active")}</td><td>{action}</td></tr>""");
        }
        return $"""
            <div class="table"><table><thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead><tbody>{rows}</tbody></table></div>
            <p class="note">A deleted client is refused by the authorization server on every instance until restored; access tokens it already holds end when they expire.</p>
            """;
    }

    private static string Config(JsonObject data)
    {
        var overrides = data["overrides"]!.AsObject();
        string List(string key) => overrides[key]!.AsArray() is { Count: > 0 } items
            ? "<ul>" + string.Join("", items.Select(i => $"""<li>{E((string?)i!["target"])}{(i["subject"] is { } s ? " (user " + E((string?)s) + ")" : "")} by {E((string?)i["by"])} at {E(i["at"]?.ToString())}</li>""")) + "</ul>"
            : "<p class=\"note\">None.</p>";
        return $"""
            <dl>
            <dt>Environment</dt><dd>{E((string?)data["environment"])}</dd>
            <dt>Files</dt><dd>{E(string.Join(", ", data["files"]!.AsArray().Select(f => (string?)f)))}</dd>
            <dt>Reloads applied</dt><dd>{E(data["reload_count"]?.ToString())}</dd>
            <dt>Last reload</dt><dd>{E((string?)data["last_reload"])} {E((string?)data["last_reload_error"])} {E((string?)data["last_apply_error"])}</dd>
            <dt>Overrides re-read every</dt><dd>{E(overrides["refresh_seconds"]?.ToString())} s (last: {E(overrides["last_refresh"]?.ToString())}) {E((string?)overrides["last_refresh_error"])}</dd>
            </dl>
            <h2>Overrides (win over the configuration file until cleared)</h2>
            <h3>Disabled backends</h3>{List("disabled_backends")}
            <h3>Deleted OAuth clients</h3>{List("deleted_clients")}
            <h3>Revoked connections (kept one day)</h3>{List("revoked_connections")}
            """;
    }

    private static string Errors(JsonObject data)
    {
        var items = data["errors"]!.AsArray();
        if (items.Count == 0)
        {
            return "<p class=\"note\">No warnings or errors logged on this instance since it started.</p>";
        }
        var rows = string.Join("", items.Select(e =>
            $"""<tr><td>{E(e!["at"]?.ToString())}</td><td>{E((string?)e["level"])}</td><td>{E((string?)e["category"])}</td><td>{E((string?)e["message"])}</td></tr>"""));
        return $"""<div class="table"><table><thead><tr><th scope="col">When</th><th scope="col">Level</th><th scope="col">Source</th><th scope="col">Message</th></tr></thead><tbody>{rows}</tbody></table></div><p class="note">The last {data["capacity"]} on this instance.</p>""";
    }

    private static string Button(string csrf, string back, string action, string target, string label, string accessibleName, bool danger = false) =>
        $"""<form class="inline" method="post" action="{BasePath}/actions"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="{action}"><input type="hidden" name="target" value="{E(target)}"><input type="hidden" name="return" value="{E(back)}"><button type="submit"{(danger ? " class=\"danger\"" : "")} aria-label="{E(accessibleName)}">{E(label)}</button></form>""";

    private static string E(string? text) => AdminPage.E(text);
}
