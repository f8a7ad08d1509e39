using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Gateway;

/// <summary>GET /capabilities: the aggregated catalog, each backend's state and last error, and name collisions.</summary>
public sealed class CapabilitiesEndpoint(Catalog catalog, Backends.BackendRequestTracker tracker) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var snapshot = await catalog.GetAsync(context.RequestAborted);
        var body = new JsonObject
        {
            ["server"] = new JsonObject { ["name"] = ProductInfo.Name, ["version"] = ProductInfo.Version },
            ["backend_requests"] = new JsonObject { ["pending"] = tracker.Pending, ["started"] = tracker.Started, ["cancelled"] = tracker.Cancelled },
            ["backends"] = new JsonArray([.. snapshot.Backends.Select(b => (JsonNode)new JsonObject
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
            ["tools"] = new JsonArray([.. snapshot.Tools.Select(t => (JsonNode)new JsonObject { ["name"] = t.PublicName, ["backend"] = t.BackendId, ["original_name"] = t.OriginalName, ["description"] = t.Tool.Description })]),
            ["prompts"] = new JsonArray([.. snapshot.Prompts.Select(p => (JsonNode)new JsonObject { ["name"] = p.PublicName, ["backend"] = p.BackendId, ["original_name"] = p.OriginalName })]),
            ["resources"] = new JsonArray([.. snapshot.Resources.Select(r => (JsonNode)new JsonObject { ["uri"] = r.PublicUri, ["backend"] = r.BackendId, ["original_uri"] = r.OriginalUri })]),
            ["resource_templates"] = new JsonArray([.. snapshot.Templates.Select(t => (JsonNode)new JsonObject { ["uri_template"] = t.PublicUriTemplate, ["backend"] = t.BackendId, ["original_uri_template"] = t.OriginalUriTemplate })]),
            ["collisions"] = new JsonArray([.. snapshot.Collisions.Select(c => (JsonNode)new JsonObject { ["kind"] = c.Kind, ["name"] = c.Name, ["kept"] = c.KeptBackend, ["skipped"] = c.SkippedBackend })]),
        };
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
