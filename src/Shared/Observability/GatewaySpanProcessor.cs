using System.Diagnostics;
using OpenTelemetry;

namespace MasterMcp.Observability;

/// <summary>
/// Adds what only the gateway knows to the MCP SDK's spans as they start: the request's user on the server span, and on
/// the client span of a backend call the backend and names its server span was given by <see cref="GatewayTelemetry.RouteAsync"/>.
/// </summary>
public sealed class GatewaySpanProcessor : BaseProcessor<Activity>
{
    private static readonly string[] Copied = [GatewayTelemetry.BackendIdAttribute, GatewayTelemetry.PublicNameAttribute, GatewayTelemetry.OriginalNameAttribute, GatewayTelemetry.UserAttribute];

    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        if (data.Source.Name != GatewayTelemetry.McpSourceName)
        {
            return;
        }
        if (data.Kind == ActivityKind.Server)
        {
            if (GatewayTelemetry.CurrentUser is { } user)
            {
                data.SetTag(GatewayTelemetry.UserAttribute, user);
            }
            return;
        }
        if (data.Kind == ActivityKind.Client && GatewayTelemetry.ServerSpan(data.Parent) is { } server)
        {
            foreach (var name in Copied)
            {
                if (server.GetTagItem(name) is { } value)
                {
                    data.SetTag(name, value);
                }
            }
        }
    }
}
