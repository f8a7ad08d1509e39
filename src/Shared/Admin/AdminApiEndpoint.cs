using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Admin;

/// <summary>
/// The admin API, <c>/admin/api/…</c>: JSON over the operations of <see cref="AdminOperations"/>. Reads are GETs; changes are
/// POSTs (see <see cref="AdminAccess.CheckStateChangeAsync"/> for the CSRF and Origin rules). Path segments are
/// percent-decoded, so a client id that is a URL is sent as one encoded segment.
/// </summary>
public sealed class AdminApiEndpoint(AdminAccess access, AdminOperations operations) : IEndpointHandler
{
    /// <summary>The API's base path.</summary>
    public const string BasePath = "/admin/api";

    /// <summary>Every operation, as listed by GET /admin/api/.</summary>
    public static readonly IReadOnlyList<string> Operations =
    [
        "GET backends", "POST backends/{id}/reconnect", "POST backends/{id}/disable", "POST backends/{id}/enable",
        "GET catalog", "GET sessions", "GET users/{subject}/connections", "POST users/{subject}/connections/{backend}/revoke",
        "GET users/{subject}/catalog", "GET clients", "POST clients/{id}/delete", "POST clients/{id}/restore", "GET config", "GET errors",
    ];

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var caller = await access.IdentifyAsync(context)
            ?? throw AdminAccess.Forbidden("admin_required",
                $"The admin API needs an admin: a bearer token with the '{AdminAccess.Scope}' scope of a person in admin.subjects or admin.roles, or an admin's browser login.");
        var segments = Segments(context.Request.Path.Value ?? "");
        var post = HttpMethods.IsPost(context.Request.Method);
        if (post)
        {
            await access.CheckStateChangeAsync(context, caller);
        }
        var ct = context.RequestAborted;
        var query = context.Request.Query;
        JsonObject result = (post, segments) switch
        {
            (false, []) => new JsonObject { ["operations"] = new JsonArray([.. Operations.Select(o => (JsonNode)o)]) },
            (false, ["backends"]) => await operations.BackendsAsync(ct),
            (true, ["backends", var id, "disable"]) => await operations.SetBackendEnabledAsync(caller, id, enabled: false, ct),
            (true, ["backends", var id, "enable"]) => await operations.SetBackendEnabledAsync(caller, id, enabled: true, ct),
            (true, ["backends", var id, "reconnect"]) => await operations.ReconnectAsync(caller, id, ct),
            (false, ["catalog"]) => await operations.CatalogAsync(ct),
            (false, ["sessions"]) => await operations.SessionsAsync(ct),
            (false, ["users", var subject, "connections"]) => await operations.ConnectionsAsync(subject, query["issuer"], ct),
            (true, ["users", var subject, "connections", var backend, "revoke"]) => await operations.RevokeAsync(caller, subject, query["issuer"], backend, ct),
            (false, ["users", var subject, "catalog"]) => await operations.UserCatalogAsync(subject, query["issuer"], Scopes(query), Claims(query), ct),
            (false, ["clients"]) => await operations.ClientsAsync(ct),
            (true, ["clients", var id, "delete"]) => await operations.DeleteClientAsync(caller, id, ct),
            (true, ["clients", var id, "restore"]) => await operations.RestoreClientAsync(caller, id, ct),
            (false, ["config"]) => operations.Config(),
            (false, ["errors"]) => operations.Errors(),
            _ => throw NotFound(segments, post),
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(result.ToJsonString(), ct);
    }

    /// <summary>The path below /admin/api, split and percent-decoded.</summary>
    internal static string[] Segments(string path)
    {
        var rest = path.Length > BasePath.Length ? path[BasePath.Length..] : "";
        return [.. rest.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString)];
    }

    private static IReadOnlyList<string> Scopes(IQueryCollection query) =>
        [.. query["scope"].SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal)];

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> Claims(IQueryCollection query)
    {
        var claims = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var value in query["claim"])
        {
            var at = value?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (at <= 0)
            {
                throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_claim", $"claim '{AdminOperations.Short(value ?? "")}' must be written type=value (e.g. claim=groups=dev).");
            }
            var type = value![..at];
            (claims.TryGetValue(type, out var list) ? list : claims[type] = []).Add(value[(at + 1)..]);
        }
        return claims.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }

    private static GatewayHttpException NotFound(string[] segments, bool post)
    {
        var path = string.Join('/', segments);
        var other = Operations.FirstOrDefault(o => Matches(o[(o.IndexOf(' ', StringComparison.Ordinal) + 1)..], segments));
        if (other is not null && other.StartsWith(post ? "GET " : "POST ", StringComparison.Ordinal))
        {
            return new GatewayHttpException(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", $"{other} is the admin API operation at '{AdminOperations.Short(path)}' (changes are POSTs, reads are GETs).")
            {
                Headers = new Dictionary<string, string> { ["Allow"] = post ? "GET" : "POST" },
            };
        }
        return new GatewayHttpException(StatusCodes.Status404NotFound, "not_found",
            $"There is no admin API operation at '{AdminOperations.Short(path)}'; GET {BasePath}/ lists them.");
    }

    private static bool Matches(string template, string[] segments)
    {
        var parts = template.Split('/');
        return parts.Length == segments.Length && parts.Zip(segments).All(p => p.First.StartsWith('{') || p.First == p.Second);
    }
}
