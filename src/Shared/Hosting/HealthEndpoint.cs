using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>GET /health: the process is up. Always open, never calls storage or backends.</summary>
public sealed class HealthEndpoint : IEndpointHandler
{
    private static readonly byte[] Body = "{\"ok\":true}"u8.ToArray();

    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
    }
}
