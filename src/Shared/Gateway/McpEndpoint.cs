using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace MasterMcp.Gateway;

/// <summary>
/// /mcp on both hosts. The SDK's Streamable HTTP handler is internal, so it runs in a small inner pipeline
/// (routing + <c>MapMcp</c>) that this handler invokes with the request's own <see cref="HttpContext"/>; the Functions
/// trigger and Kestrel therefore serve MCP through exactly the same code.
/// </summary>
public sealed partial class McpEndpoint : IEndpointHandler
{
    /// <summary>The path of the MCP endpoint.</summary>
    public const string Path = "/mcp";

    private readonly RequestDelegate _inner;
    private readonly SessionStore _sessions;
    private readonly BackendRegistry _registry;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly ILogger<McpEndpoint> _logger;

    public McpEndpoint(IServiceProvider services, SessionStore sessions, BackendRegistry registry, IOptionsMonitor<GatewayOptions> options, ILogger<McpEndpoint> logger)
    {
        _options = options;
        _logger = logger;
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
        // The SDK checks the Content-Type of a POST loosely and then reads it with ReadFromJsonAsync, which throws for what
        // that check let through (no Content-Type, "application/json, text/html"): a 500 for bad input. Same test, first.
        if (HttpMethods.IsPost(context.Request.Method) && !context.Request.HasJsonContentType())
        {
            throw new GatewayHttpException(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "POST /mcp takes one JSON-RPC message as application/json; this request's Content-Type is "
                + (context.Request.ContentType is { Length: > 0 } type ? "'" + type[..Math.Min(type.Length, 100)] + "'" : "missing") + ".");
        }
        // The outer host already matched a route; clear it so the inner routing matches the MCP endpoints itself.
        context.SetEndpoint(null);
        context.Request.RouteValues.Clear();
        var sessionId = context.Request.Headers["Mcp-Session-Id"].ToString();
        var interval = _options.CurrentValue.Hosting.SseHeartbeatSeconds;
        if (interval > 0)
        {
            var original = context.Response.Body;
            var heartbeat = new SseHeartbeatStream(original, TimeSpan.FromSeconds(interval),
                () => context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
            context.Response.Body = heartbeat;
            try
            {
                await _inner(context);
            }
            finally
            {
                await heartbeat.StopAsync();
                context.Response.Body = original;
                await heartbeat.DisposeAsync();
            }
        }
        else
        {
            await _inner(context);
        }
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
            try
            {
                await _sessions.TouchAsync(sessionId, context.RequestAborted);
            }
            catch (StorageUnavailableException ex)
            {
                // The answer has been sent; a missed expiry refresh only shortens the session's life in the store.
                LogTouchFailed(_logger, sessionId, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not extend session {SessionId} in storage: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, string sessionId, string reason);
}
