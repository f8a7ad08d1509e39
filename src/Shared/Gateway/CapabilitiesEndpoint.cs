using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Gateway;

/// <summary>
/// GET /capabilities: the aggregated catalog, each backend's state and last error, and name collisions — as the caller may
/// see it: items their policies hide are left out, and so are backends and collisions with nothing visible to them.
/// </summary>
public sealed class CapabilitiesEndpoint(Catalog catalog, Access.CatalogAccess access, Backends.BackendRequestTracker tracker) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var view = access.ViewFor(await catalog.GetAsync(context.RequestAborted), Auth.GatewayUser.From(context));
        var (tools, prompts, resources, templates) = (view.Tools, view.Prompts, view.Resources, view.Templates);
        var visible = tools.Select(t => t.BackendId).Concat(prompts.Select(p => p.BackendId)).Concat(resources.Select(r => r.BackendId)).Concat(templates.Select(t => t.BackendId)).ToHashSet(StringComparer.Ordinal);
        var backends = view.IsFiltered ? view.Catalog.Backends.Where(b => visible.Contains(b.Id)).ToList() : view.Catalog.Backends;
        var names = tools.Select(t => t.PublicName).Concat(prompts.Select(p => p.PublicName)).Concat(resources.Select(r => r.PublicUri)).Concat(templates.Select(t => t.PublicUriTemplate)).ToHashSet(StringComparer.Ordinal);
        var collisions = view.IsFiltered ? view.Catalog.Collisions.Where(c => names.Contains(c.Name)).ToList() : view.Catalog.Collisions;
        var body = new JsonObject
        {
            ["server"] = new JsonObject { ["name"] = ProductInfo.Name, ["version"] = ProductInfo.Version },
            ["backend_requests"] = new JsonObject { ["pending"] = tracker.Pending, ["started"] = tracker.Started, ["cancelled"] = tracker.Cancelled },
            ["backends"] = new JsonArray([.. backends.Select(b => (JsonNode)new JsonObject
            {
                ["id"] = b.Id,
                ["transport"] = b.Transport,
                ["endpoint"] = b.Endpoint,
                ["state"] = b.State.ToString().ToLowerInvariant(),
                ["last_error"] = b.LastError,
                ["required"] = b.Required,
                ["server_name"] = b.ServerName,
                ["protocol_version"] = b.ProtocolVersion,
                ["counts"] = new JsonObject { ["tools"] = b.Tools, ["resources"] = b.Resources, ["resource_templates"] = b.ResourceTemplates, ["prompts"] = b.Prompts },
            })]),
            ["tools"] = new JsonArray([.. tools.Select(t => (JsonNode)new JsonObject { ["name"] = t.PublicName, ["backend"] = t.BackendId, ["original_name"] = t.OriginalName, ["description"] = t.Tool.Description })]),
            ["prompts"] = new JsonArray([.. prompts.Select(p => (JsonNode)new JsonObject { ["name"] = p.PublicName, ["backend"] = p.BackendId, ["original_name"] = p.OriginalName })]),
            ["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["uri"] = r.PublicUri, ["backend"] = r.BackendId, ["original_uri"] = r.OriginalUri })]),
            ["resource_templates"] = new JsonArray([.. templates.Select(t => (JsonNode)new JsonObject { ["uri_template"] = t.PublicUriTemplate, ["backend"] = t.BackendId, ["original_uri_template"] = t.OriginalUriTemplate })]),
            ["collisions"] = new JsonArray([.. collisions.Select(c => (JsonNode)new JsonObject { ["kind"] = c.Kind, ["name"] = c.Name, ["kept"] = c.KeptBackend, ["skipped"] = c.SkippedBackend })]),
        };
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
