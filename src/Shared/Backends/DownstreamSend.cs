using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>Sends a notification to a downstream client, ignoring clients whose stream is already gone.</summary>
internal static class DownstreamSend
{
    public static async ValueTask NotifyAsync(McpServer target, string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        try
        {
            await target.SendMessageAsync(new JsonRpcNotification { Method = method, Params = parameters?.DeepClone() }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The client's stream is gone (or its call ended); the notification has nowhere to go.
        }
    }
}
