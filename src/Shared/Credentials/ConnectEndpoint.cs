using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Credentials;

/// <summary>GET /connect?id=…: the link of a URL elicitation (see <see cref="ConnectFlow.OpenAsync"/>).</summary>
public sealed class ConnectEndpoint(ConnectFlow flow) : IEndpointHandler
{
    /// <inheritdoc />
    public Task HandleAsync(HttpContext context) => flow.OpenAsync(context);
}
