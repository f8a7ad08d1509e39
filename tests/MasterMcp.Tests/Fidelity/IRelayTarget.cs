using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fidelity;

/// <summary>What the relay scenarios talk to: one gateway, or several behind a balancer.</summary>
public interface IRelayTarget
{
    /// <summary>The MCP endpoint clients use.</summary>
    Uri McpUrl { get; }

    /// <summary>The base URL clients use.</summary>
    Uri BaseUrl { get; }

    /// <summary>Backend requests in flight (all instances).</summary>
    long PendingBackendRequests { get; }

    /// <summary>Backend requests cancelled so far (all instances).</summary>
    long CancelledBackendRequests { get; }

    /// <summary>Connects the official C# SDK client over Streamable HTTP.</summary>
    Task<McpClient> ConnectAsync(McpClientOptions? options = null);
}
