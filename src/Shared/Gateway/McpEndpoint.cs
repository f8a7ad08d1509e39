using MasterMcp.Backends;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelContextProtocol.AspNetCore;

namespace MasterMcp.Gateway;

/// <summary>
/// /mcp on both hosts. The SDK's Streamable HTTP handler is internal, so it runs in a small inner pipeline
/// (routing + <c>MapMcp</c>) that this handler invokes with the request's own <see cref="HttpContext"/>; the Functions
/// trigger and Kestrel therefore serve MCP through exactly the same code.
/// </summary>
public sealed class McpEndpoint : IEndpointHandler
{
    /// <summary>The path of the MCP endpoint.</summary>
    public const string Path = "/mcp";

    private readonly RequestDelegate _inner;
    private readonly SessionStore _sessions;
    private readonly BackendRegistry _registry;

    public McpEndpoint(IServiceProvider services, SessionStore sessions, BackendRegistry registry)
    {
        var app = new ApplicationBuilder(services);
        app.UseRouting();
        app.UseEndpoints(endpoints => endpoints.MapMcp(Path));
        _inner = app.Build();
        _sessions = sessions;
        _registry = registry;
    }

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        // The outer host already matched a route; clear it so the inner routing matches the MCP endpoints itself.
        context.SetEndpoint(null);
        context.Request.RouteValues.Clear();
        var sessionId = context.Request.Headers["Mcp-Session-Id"].ToString();
        await _inner(context);
        if (sessionId.Length == 0)
        {
            return;
        }
        if (HttpMethods.IsDelete(context.Request.Method) && context.Response.StatusCode < 300)
        {
            // An ended session must not be revived on another instance from the store.
            await _sessions.DeleteAsync(sessionId, context.RequestAborted);
            await _registry.EndSessionAsync(sessionId);
        }
        else if (context.Response.StatusCode < 400)
        {
            await _sessions.TouchAsync(sessionId, context.RequestAborted);
        }
    }
}
