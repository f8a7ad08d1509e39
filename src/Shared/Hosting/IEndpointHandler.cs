using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>Handles the requests of one route. Runs inside <see cref="GatewayPipeline"/> on both hosts.</summary>
public interface IEndpointHandler
{
    /// <summary>Writes the response for one request.</summary>
    Task HandleAsync(HttpContext context);
}
