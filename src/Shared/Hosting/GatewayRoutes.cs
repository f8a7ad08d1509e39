namespace MasterMcp.Hosting;

/// <summary>
/// The route table: every HTTP endpoint of the gateway, declared once. Kestrel maps it in <see cref="GatewayApplication"/>;
/// the Functions project has one thin function per entry, and a test compares the built functions.metadata with this list.
/// </summary>
public static class GatewayRoutes
{
    public static readonly GatewayRoute Health = new("health", "health", ["GET"], typeof(HealthEndpoint)) { RequiresOriginSecret = false, Authentication = RouteAuthentication.None };
    public static readonly GatewayRoute Ready = new("ready", "ready", ["GET"], typeof(ReadyEndpoint)) { Authentication = RouteAuthentication.Optional };
    public static readonly GatewayRoute Capabilities = new("capabilities", "capabilities", ["GET"], typeof(Gateway.CapabilitiesEndpoint));
    // Its own bearer token (telemetry.metrics_token), not an OAuth access token: scrapers are not MCP clients.
    public static readonly GatewayRoute Metrics = new("metrics", "metrics", ["GET"], typeof(Observability.MetricsEndpoint)) { Authentication = RouteAuthentication.None };
    public static readonly GatewayRoute Mcp = new("mcp", "mcp", ["GET", "POST", "DELETE"], typeof(Gateway.McpEndpoint)) { ChecksOrigin = true, RateLimited = true };

    /// <summary>A virtual server: the same MCP endpoint over a curated catalog (unknown names are 404).</summary>
    public static readonly GatewayRoute McpVirtual = new("mcp-virtual", "mcp/{name}", ["GET", "POST", "DELETE"], typeof(Gateway.McpEndpoint)) { ChecksOrigin = true, RateLimited = true, VirtualServer = true };

    // Client-facing OAuth (Auth/): discovery documents and the authorization server's own endpoints are open by nature.
    public static readonly GatewayRoute ProtectedResourceMetadata = Open("oauth-protected-resource", ".well-known/oauth-protected-resource", typeof(Auth.ProtectedResourceMetadataEndpoint));
    public static readonly GatewayRoute ProtectedResourceMetadataMcp = Open("oauth-protected-resource-mcp", ".well-known/oauth-protected-resource/mcp", typeof(Auth.ProtectedResourceMetadataEndpoint));
    public static readonly GatewayRoute ProtectedResourceMetadataVirtual = Open("oauth-protected-resource-mcp-virtual", ".well-known/oauth-protected-resource/mcp/{name}", typeof(Auth.ProtectedResourceMetadataEndpoint)) with { VirtualServer = true };
    public static readonly GatewayRoute AuthorizationServerMetadata = Open("oauth-authorization-server", ".well-known/oauth-authorization-server", typeof(Auth.AuthorizationServerMetadataEndpoint));
    public static readonly GatewayRoute OpenIdConfiguration = Open("openid-configuration", ".well-known/openid-configuration", typeof(Auth.AuthorizationServerMetadataEndpoint));
    public static readonly GatewayRoute Jwks = Open("jwks", ".well-known/jwks.json", typeof(Auth.JwksEndpoint));
    public static readonly GatewayRoute Authorize = Open("authorize", "authorize", typeof(Auth.AuthorizeEndpoint)) with { RateLimited = true };
    public static readonly GatewayRoute Token = Open("token", "token", typeof(Auth.TokenEndpoint), "POST") with { OAuthErrors = true, RateLimited = true };
    public static readonly GatewayRoute Register = Open("register", "register", typeof(Auth.RegisterEndpoint), "POST") with { OAuthErrors = true, RateLimited = true };
    public static readonly GatewayRoute Revoke = Open("revoke", "revoke", typeof(Auth.RevokeEndpoint), "POST") with { OAuthErrors = true, RateLimited = true };
    public static readonly GatewayRoute Consent = Open("consent", "oauth/consent", typeof(Auth.ConsentEndpoint), "GET", "POST") with { RateLimited = true };
    public static readonly GatewayRoute LoginCallback = Open("login-callback", "oauth/callback", typeof(Auth.LoginCallbackEndpoint)) with { RateLimited = true };
    public static readonly GatewayRoute Login = Open("login", "auth/login", typeof(Auth.LoginEndpoint)) with { RateLimited = true };
    public static readonly GatewayRoute Session = Open("session", "auth/session", typeof(Auth.SessionEndpoint));

    // Backend credentials (Credentials/): browser pages behind the gateway's browser login.
    public static readonly GatewayRoute Connect = Open("connect", "connect", typeof(Credentials.ConnectEndpoint));
    public static readonly GatewayRoute Connections = Open("connections", "connections", typeof(Credentials.ConnectionsEndpoint), "GET", "POST");

    // The admin API and console (Admin/): the handlers decide who is an admin (browser login or a bearer token with the
    // admin scope), so a token is optional here; a token that is sent must be valid. Origin and Host are checked.
    public static readonly GatewayRoute AdminApi = new("admin-api", "admin/api/{*path}", ["GET", "POST"], typeof(Admin.AdminApiEndpoint)) { Authentication = RouteAuthentication.Optional, ChecksOrigin = true };
    public static readonly GatewayRoute AdminConsole = new("admin", "admin/{*path}", ["GET", "POST"], typeof(Admin.AdminConsoleEndpoint)) { Authentication = RouteAuthentication.Optional, ChecksOrigin = true };

    /// <summary>Every route, in the order they are matched.</summary>
    public static IReadOnlyList<GatewayRoute> All { get; } =
    [
        Health, Ready, Capabilities, Metrics, Mcp, McpVirtual,
        ProtectedResourceMetadata, ProtectedResourceMetadataMcp, ProtectedResourceMetadataVirtual, AuthorizationServerMetadata, OpenIdConfiguration, Jwks,
        Authorize, Token, Register, Revoke, Consent, LoginCallback, Login, Session, Connect, Connections, AdminApi, AdminConsole,
    ];

    private static GatewayRoute Open(string name, string template, Type handler, params string[] methods) =>
        new(name, template, methods.Length == 0 ? ["GET"] : methods, handler) { Authentication = RouteAuthentication.None };

    /// <summary>The MCP route serving <paramref name="path"/>: /mcp or a virtual server's /mcp/{name}.</summary>
    public static GatewayRoute ForMcpPath(string path) => path.TrimEnd('/') == "/" + Mcp.Template ? Mcp : McpVirtual;

    /// <summary>The route with this name; throws when there is none.</summary>
    public static GatewayRoute Get(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No route named '{name}'", nameof(name));
}
