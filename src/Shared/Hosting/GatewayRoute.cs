namespace MasterMcp.Hosting;

/// <summary>One HTTP endpoint: its name (the Function name too), route template without a leading slash, methods and handler type.</summary>
public sealed record GatewayRoute(string Name, string Template, IReadOnlyList<string> Methods, Type HandlerType)
{
    /// <summary>False for the few routes a platform probes directly (/health), which stay reachable without the origin secret.</summary>
    public bool RequiresOriginSecret { get; init; } = true;

    /// <summary>True for routes browsers must not reach from foreign origins (DNS-rebinding protection).</summary>
    public bool ChecksOrigin { get; init; }

    /// <summary>Whether a bearer token is needed when auth is on; enforced by the shared pipeline on both hosts.</summary>
    public RouteAuthentication Authentication { get; init; } = RouteAuthentication.Required;

    /// <summary>True for routes whose last path segment names a virtual server (<c>{name}</c>); the pipeline resolves it or answers 404.</summary>
    public bool VirtualServer { get; init; }

    /// <summary>True for the MCP endpoint itself (/mcp and /mcp/{name}).</summary>
    public bool ServesMcp => HandlerType == typeof(Gateway.McpEndpoint);

    /// <summary>True for the authorization server's JSON endpoints: errors the pipeline writes carry RFC 6749's <c>error_description</c>.</summary>
    public bool OAuthErrors { get; init; }

    /// <summary>True for /mcp and the authorization server's endpoints: security.rate_limits apply.</summary>
    public bool RateLimited { get; init; }
}
