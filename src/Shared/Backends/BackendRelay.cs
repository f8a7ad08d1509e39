using System.Text.Json.Nodes;
using MasterMcp.Gateway;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Wires a per-client backend session to its downstream client: the backend is offered exactly the capabilities the client
/// declared, and its server→client requests (sampling, elicitation, roots) and notifications (progress, log messages,
/// resource updates with rewritten URIs) go to that client alone.
/// </summary>
internal static class BackendRelay
{
    public static void Configure(McpClientOptions options, BackendDefinition definition, McpServer? downstream)
    {
        if (downstream is null)
        {
            return;
        }
        var capabilities = downstream.ClientCapabilities;
        options.Capabilities = new ClientCapabilities
        {
            Sampling = capabilities?.Sampling,
            Elicitation = capabilities?.Elicitation,
            Roots = capabilities?.Roots,
        };
        var handlers = options.Handlers;
        if (capabilities?.Sampling is not null)
        {
            handlers.SamplingHandler = (request, _, ct) => downstream.SampleAsync(request!, ct);
        }
        if (capabilities?.Elicitation is not null)
        {
            handlers.ElicitationHandler = (request, ct) => downstream.ElicitAsync(request!, ct);
        }
        if (capabilities?.Roots is not null)
        {
            handlers.RootsHandler = (request, ct) => downstream.RequestRootsAsync(request ?? new ListRootsRequestParams(), ct);
        }
        var notifications = handlers.NotificationHandlers?.ToList() ?? [];
        notifications.Add(new(NotificationMethods.ProgressNotification, (n, ct) => Forward(downstream, n.Method, n.Params, ct)));
        notifications.Add(new(NotificationMethods.LoggingMessageNotification, (n, ct) => Forward(downstream, n.Method, n.Params, ct)));
        notifications.Add(new(NotificationMethods.ResourceUpdatedNotification, (n, ct) =>
        {
            if (n.Params?.DeepClone() is JsonObject p && p["uri"] is JsonValue uri)
            {
                p["uri"] = ResourceUris.ToPublic(definition.Prefix, uri.GetValue<string>());
                return Forward(downstream, n.Method, p, ct);
            }
            return ValueTask.CompletedTask;
        }));
        handlers.NotificationHandlers = notifications;
    }

    private static async ValueTask Forward(McpServer downstream, string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        try
        {
            await downstream.SendMessageAsync(new JsonRpcNotification { Method = method, Params = parameters?.DeepClone() }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // The client's stream is gone; the notification has nowhere to go.
        }
    }
}
