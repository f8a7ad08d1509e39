using System.Text.Json.Nodes;
using MasterMcp.Gateway;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Backends;

#pragma warning disable MCP9005 // This file relays sampling, roots and log messages, deprecated for 2026-07-28 (SEP-2577) but used by earlier revisions.

/// <summary>
/// Wires a backend session to the gateway. Every session relays progress through the <see cref="ProgressRelay"/> (tokens
/// are gateway-unique, so even shared sessions route progress to the right call). A session that belongs to one downstream
/// client (a <see cref="DownstreamLink"/>) is offered exactly the capabilities that client declared — sampling, elicitation
/// with only the modes the client declared, roots — and its server→client requests and notifications (log messages,
/// resource updates with rewritten URIs, elicitation completions) go to that client alone.
/// </summary>
internal static class BackendRelay
{
    public static void Configure(McpClientOptions options, BackendDefinition definition, ProgressRelay progress, MrtrBridge bridge, DownstreamLink? link, ClientCapabilities? capabilities)
    {
        var notifications = options.Handlers.NotificationHandlers?.ToList() ?? [];
        notifications.Add(new(NotificationMethods.ProgressNotification, (n, ct) => progress.ForwardAsync(n.Params, ct)));
        options.Handlers.NotificationHandlers = notifications;
        if (link is null)
        {
            return;
        }
        options.Capabilities = new ClientCapabilities
        {
            Sampling = capabilities?.Sampling,
            Elicitation = capabilities?.Elicitation,
            Roots = capabilities?.Roots,
        };
        var handlers = options.Handlers;
        if (capabilities?.Sampling is not null)
        {
            handlers.SamplingHandler = async (request, _, ct) =>
            {
                var target = Target(link, definition);
                return bridge.TryAsk(target, InputRequest.ForSampling(request!), ct) is { } bridged
                    ? (await bridged).Deserialize(InputResponse.CreateMessageResultJsonTypeInfo)!
                    : await target.SampleAsync(request!, ct);
            };
        }
        if (capabilities?.Elicitation is not null)
        {
            handlers.ElicitationHandler = async (request, ct) =>
            {
                var target = Target(link, definition);
                return bridge.TryAsk(target, InputRequest.ForElicitation(request!), ct) is { } bridged
                    ? (await bridged).Deserialize(InputResponse.ElicitResultJsonTypeInfo)!
                    : await target.ElicitAsync(request!, ct);
            };
        }
        if (capabilities?.Roots is not null)
        {
            handlers.RootsHandler = async (request, ct) =>
            {
                var target = Target(link, definition);
                return bridge.TryAsk(target, InputRequest.ForRootsList(request ?? new ListRootsRequestParams()), ct) is { } bridged
                    ? (await bridged).Deserialize(InputResponse.ListRootsResultJsonTypeInfo)!
                    : await target.RequestRootsAsync(request ?? new ListRootsRequestParams(), ct);
            };
        }
        notifications.Add(new(NotificationMethods.LoggingMessageNotification, (n, ct) => Notify(link, n.Method, n.Params, ct)));
        notifications.Add(new(NotificationMethods.ElicitationCompleteNotification, (n, ct) => Notify(link, n.Method, n.Params, ct)));
        notifications.Add(new(NotificationMethods.ResourceUpdatedNotification, (n, ct) =>
        {
            if (n.Params?.DeepClone() is JsonObject p && p["uri"] is JsonValue uri)
            {
                p["uri"] = ResourceUris.ToPublic(definition.Prefix, uri.GetValue<string>());
                return Notify(link, n.Method, p, ct);
            }
            return ValueTask.CompletedTask;
        }));
    }

    private static ModelContextProtocol.Server.McpServer Target(DownstreamLink link, BackendDefinition definition) =>
        link.ForRequest() ?? throw new McpProtocolException($"Backend '{definition.Id}' sent a request, but its client has no open call or stream to receive it", McpErrorCode.InternalError);

    private static ValueTask Notify(DownstreamLink link, string method, JsonNode? parameters, CancellationToken cancellationToken) =>
        link.ForNotification() is { } target ? DownstreamSend.NotifyAsync(target, method, parameters, cancellationToken) : ValueTask.CompletedTask;
}
