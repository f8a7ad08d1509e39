using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace MasterMcp.Functions;

/// <summary>
/// One thin HTTP function per entry of <see cref="GatewayRoutes"/>. Each only hands the request to the shared pipeline;
/// a test checks that the built functions.metadata lists exactly the route table.
/// </summary>
public sealed class HttpFunctions(GatewayPipeline pipeline)
{
    [Function("health")]
    public Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Health);

    [Function("ready")]
    public Task<IActionResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ready")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Ready);

    [Function("capabilities")]
    public Task<IActionResult> Capabilities([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "capabilities")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Capabilities);

    [Function("metrics")]
    public Task<IActionResult> Metrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "metrics")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Metrics);

    [Function("mcp")]
    public Task<IActionResult> Mcp([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", Route = "mcp")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Mcp);

    [Function("mcp-virtual")]
    public Task<IActionResult> McpVirtual([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", Route = "mcp/{name}")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.McpVirtual);

    [Function("oauth-protected-resource")]
    public Task<IActionResult> ProtectedResourceMetadata([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.ProtectedResourceMetadata);

    [Function("oauth-protected-resource-mcp")]
    public Task<IActionResult> ProtectedResourceMetadataMcp([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource/mcp")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.ProtectedResourceMetadataMcp);

    [Function("oauth-protected-resource-mcp-virtual")]
    public Task<IActionResult> ProtectedResourceMetadataVirtual([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-protected-resource/mcp/{name}")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.ProtectedResourceMetadataVirtual);

    [Function("oauth-authorization-server")]
    public Task<IActionResult> AuthorizationServerMetadata([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/oauth-authorization-server")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.AuthorizationServerMetadata);

    [Function("openid-configuration")]
    public Task<IActionResult> OpenIdConfiguration([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/openid-configuration")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.OpenIdConfiguration);

    [Function("jwks")]
    public Task<IActionResult> Jwks([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/jwks.json")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Jwks);

    [Function("authorize")]
    public Task<IActionResult> Authorize([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "authorize")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Authorize);

    [Function("token")]
    public Task<IActionResult> Token([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "token")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Token);

    [Function("register")]
    public Task<IActionResult> Register([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "register")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Register);

    [Function("revoke")]
    public Task<IActionResult> Revoke([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "revoke")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Revoke);

    [Function("consent")]
    public Task<IActionResult> Consent([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "oauth/consent")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Consent);

    [Function("login-callback")]
    public Task<IActionResult> LoginCallback([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "oauth/callback")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.LoginCallback);

    [Function("login")]
    public Task<IActionResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/login")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Login);

    [Function("session")]
    public Task<IActionResult> Session([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/session")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Session);

    [Function("connect")]
    public Task<IActionResult> Connect([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "connect")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Connect);

    [Function("admin-api")]
    public Task<IActionResult> AdminApi([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "admin/api/{*path}")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.AdminApi);

    [Function("admin")]
    public Task<IActionResult> AdminConsole([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "admin/{*path}")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.AdminConsole);

    [Function("connections")]
    public Task<IActionResult> Connections([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "connections")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Connections);

    private async Task<IActionResult> RunAsync(HttpRequest request, GatewayRoute route)
    {
        await pipeline.InvokeAsync(request.HttpContext, route);
        return new EmptyResult();
    }
}
