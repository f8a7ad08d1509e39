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

    [Function("mcp")]
    public Task<IActionResult> Mcp([HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", Route = "mcp")] HttpRequest request) =>
        RunAsync(request, GatewayRoutes.Mcp);

    private async Task<IActionResult> RunAsync(HttpRequest request, GatewayRoute route)
    {
        await pipeline.InvokeAsync(request.HttpContext, route);
        return new EmptyResult();
    }
}
