namespace MasterMcp.Hosting;

/// <summary>
/// The route table: every HTTP endpoint of the gateway, declared once. Kestrel maps it in <see cref="GatewayApplication"/>;
/// the Functions project has one thin function per entry, and a test compares the built functions.metadata with this list.
/// </summary>
public static class GatewayRoutes
{
    public static readonly GatewayRoute Health = new("health", "health", ["GET"], typeof(HealthEndpoint)) { RequiresOriginSecret = false };
    public static readonly GatewayRoute Ready = new("ready", "ready", ["GET"], typeof(ReadyEndpoint));
    public static readonly GatewayRoute Capabilities = new("capabilities", "capabilities", ["GET"], typeof(Gateway.CapabilitiesEndpoint));
    public static readonly GatewayRoute Mcp = new("mcp", "mcp", ["GET", "POST", "DELETE"], typeof(Gateway.McpEndpoint)) { ChecksOrigin = true };

    /// <summary>Every route, in the order they are matched.</summary>
    public static IReadOnlyList<GatewayRoute> All { get; } = [Health, Ready, Capabilities, Mcp];

    /// <summary>The route with this name; throws when there is none.</summary>
    public static GatewayRoute Get(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No route named '{name}'", nameof(name));
}
