using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Scaleout;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>
/// /mcp on both hosts. The SDK's Streamable HTTP handler is internal, so it runs in a small inner pipeline
/// (routing + <c>MapMcp</c>) that this handler invokes with the request's own <see cref="HttpContext"/>; the Functions
/// trigger and Kestrel therefore serve MCP through exactly the same code. With the Redis backplane, session ids name
/// the instance that owns the session, and a request of a session owned elsewhere is carried there (<see cref="SessionTunnel"/>).
/// </summary>
public sealed partial class McpEndpoint : IEndpointHandler
{
    /// <summary>The path of the MCP endpoint.</summary>
    public const string Path = "/mcp";

    private const string SessionHeader = "Mcp-Session-Id";

    /// <summary>HttpContext item: the slot reserved for the session an initialize request is about to start.</summary>
    public const string SessionSlotItem = "MasterMcp.SessionSlot";

    private readonly RequestDelegate _inner;
    private readonly SessionStore _sessions;
    private readonly BackendRegistry _registry;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly DrainCoordinator _drain;
    private readonly OwnerRoutes _routes;
    private readonly SessionTunnel? _tunnel;
    private readonly SessionEventStreams _streams;
    private readonly Limits.UserSlots _slots;
    private readonly DownstreamSessions _downstream;
    private readonly ILogger<McpEndpoint> _logger;

    public McpEndpoint(IServiceProvider services, SessionStore sessions, BackendRegistry registry, IOptionsMonitor<GatewayOptions> options, DrainCoordinator drain, OwnerRoutes routes,
        SessionEventStreams streams, Limits.UserSlots slots, DownstreamSessions downstream, ILogger<McpEndpoint> logger)
    {
        _downstream = downstream;
        _logger = logger;
        _options = options;
        _slots = slots;
        var app = new ApplicationBuilder(services);
        app.UseRouting();
        app.UseEndpoints(endpoints => endpoints.MapMcp(Path));
        _inner = app.Build();
        _sessions = sessions;
        _registry = registry;
        _drain = drain;
        _routes = routes;
        _streams = streams;
        _tunnel = services.GetService<SessionTunnel>();
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
        var virtualServer = Access.CatalogAccess.RequestVirtualServer(context)?.Name;
        var sessionId = context.Request.Headers[SessionHeader].ToString();
        if (sessionId.Length == 0 && context.Items.ContainsKey(DrainCoordinator.ArrivedWhileDrainingItem))
        {
            throw new GatewayHttpException(StatusCodes.Status503ServiceUnavailable, "draining",
                "This instance is shutting down and takes no new sessions; send the request again (another instance will take it).")
            { Headers = new Dictionary<string, string> { ["Retry-After"] = "1" } };
        }
        if (sessionId.Length > 0 && _drain.SessionsEnded)
        {
            LogUnknownSession(_logger, "this instance has drained");
            await McpErrors.WriteSessionNotFoundAsync(context);
            return;
        }
        if (_routes.Enabled)
        {
            var userKey = Auth.GatewayUser.From(context)?.Key;
            await _routes.EnsureKeyAsync(context.RequestAborted);
            if (sessionId.Length > 0)
            {
                if (!_routes.TryRead(sessionId, userKey, virtualServer, out var route))
                {
                    LogUnknownSession(_logger, "malformed, altered, presented by another user or at another virtual server");
                    // Made up, altered, or another user's: to this caller the session does not exist.
                    await McpErrors.WriteSessionNotFoundAsync(context);
                    return;
                }
                if (route.Owner != _routes.Self)
                {
                    await ForwardAsync(context, route.Owner);
                    return;
                }
                var presented = sessionId;
                sessionId = route.LocalId;
                context.Request.Headers[SessionHeader] = sessionId;
                // The SDK names the session on every response; clients that take the id from each answer must keep seeing theirs.
                context.Response.OnStarting(() =>
                {
                    if (context.Response.Headers.ContainsKey(SessionHeader))
                    {
                        context.Response.Headers[SessionHeader] = presented;
                    }
                    return Task.CompletedTask;
                });
            }
            else if (await RequestStateOwnerAsync(context, userKey) is { } owner && owner != _routes.Self)
            {
                // A 2026-07-28 client's retry whose pending backend call waits on another instance.
                await ForwardAsync(context, owner);
                return;
            }
            else
            {
                // A new session: the id the client gets names this instance as its owner.
                context.Response.OnStarting(() =>
                {
                    var issued = context.Response.Headers[SessionHeader].ToString();
                    if (issued.Length > 0)
                    {
                        context.Response.Headers[SessionHeader] = _routes.Issue(issued, userKey, virtualServer);
                    }
                    return Task.CompletedTask;
                });
            }
        }
        if (sessionId.Length > 0 && _downstream.Find(sessionId) is { } known && known.VirtualServer != virtualServer)
        {
            // The SDK's session handling is shared by /mcp and every /mcp/{name}: a session is served only where it was opened.
            LogUnknownSession(_logger, "opened at another virtual server");
            await McpErrors.WriteSessionNotFoundAsync(context);
            return;
        }
        var isStream = HttpMethods.IsGet(context.Request.Method);
        if (isStream && context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } lastEventId
            && _streams.Check(lastEventId, sessionId) == SessionEventStreams.Resumption.EventsLost)
        {
            var sessions = _options.CurrentValue.Sessions;
            await McpErrors.WriteEventsLostAsync(context, sessions.StreamBufferEvents, sessions.IdleTimeout);
            return;
        }
        // Per-user caps: a new session takes a slot now (its session keeps it), an open stream holds one while it lasts.
        var (sessionSlot, streamSlot) = (default(Limits.UserSlot), default(Limits.UserSlot));
        if (Auth.GatewayUser.From(context) is { } user)
        {
            var caps = _options.CurrentValue.Sessions;
            if (sessionId.Length == 0 && caps.MaxSessionsPerUser > 0 && await McpErrors.ReadRequestAsync(context, "initialize") is { Method: RequestMethods.Initialize } initialize)
            {
                if ((sessionSlot = await _slots.TryTakeAsync(Limits.SlotKind.Session, user.Key, caps.MaxSessionsPerUser)) is null)
                {
                    await WriteCapReachedAsync(context, initialize.Id, $"This user already holds {caps.MaxSessionsPerUser} sessions, the limit (sessions.max_sessions_per_user = {caps.MaxSessionsPerUser}). "
                        + "End one (DELETE /mcp with its Mcp-Session-Id) or wait until an idle one expires, then initialize again.", "sessions.max_sessions_per_user");
                    return;
                }
                context.Items[SessionSlotItem] = sessionSlot;
            }
            // (A 2026-07-28 subscriptions/listen is answered at once by this stateless gateway: nothing is held open for it.)
            else if (caps.MaxStreamsPerUser > 0 && isStream)
            {
                if ((streamSlot = await _slots.TryTakeAsync(Limits.SlotKind.Stream, user.Key, caps.MaxStreamsPerUser)) is null)
                {
                    await WriteCapReachedAsync(context, null, $"This user already holds {caps.MaxStreamsPerUser} open streams, the limit (sessions.max_streams_per_user = {caps.MaxStreamsPerUser}). "
                        + "Close one (or end its session), then open the stream again.", "sessions.max_streams_per_user");
                    return;
                }
            }
        }
        try
        {
            using (isStream ? default(DrainCoordinator.InFlightScope?) : _drain.Enter())
            {
                await InvokeSdkAsync(context);
            }
        }
        finally
        {
            if (sessionSlot is { Adopted: false })
            {
                // The initialize did not start a session (refused by the SDK): give the slot back.
                await sessionSlot.DisposeAsync();
            }
            if (streamSlot is not null)
            {
                await streamSlot.DisposeAsync();
            }
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

    private async Task WriteCapReachedAsync(HttpContext context, ModelContextProtocol.Protocol.RequestId? id, string message, string setting)
    {
        LogCapReached(_logger, setting);
        var jsonId = id?.Id switch
        {
            long number => System.Text.Json.Nodes.JsonValue.Create(number),
            string text => System.Text.Json.Nodes.JsonValue.Create(text),
            _ => null,
        };
        await McpErrors.WriteJsonRpcErrorAsync(context, StatusCodes.Status429TooManyRequests, jsonId, -32000, message,
            new System.Text.Json.Nodes.JsonObject { ["limit"] = setting });
    }

    private async Task ForwardAsync(HttpContext context, string owner)
    {
        if (context.Items.ContainsKey(SessionTunnel.ForwardedItem))
        {
            // Never forwarded twice: the instance that forwarded it read the same owner.
            LogUnknownSession(_logger, $"forwarded here but owned by {owner}");
            await McpErrors.WriteSessionNotFoundAsync(context);
            return;
        }
        using (_drain.Enter())
        {
            await _tunnel!.ForwardAsync(context, owner);
        }
    }

    /// <summary>
    /// The owner named by a stateless request's <c>params.requestState</c> (a retry of an <c>InputRequiredResult</c>), or
    /// null. Only bodies that mention <c>requestState</c> are parsed (the pipeline's buffer is read in place).
    /// </summary>
    private async Task<string?> RequestStateOwnerAsync(HttpContext context, string? userKey)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Body.CanSeek || context.Request.Body.Length == 0)
        {
            return null;
        }
        var bytes = await BufferedRequestBody.ReadAsync(context);
        if (bytes.Span.IndexOf("\"requestState\""u8) < 0)
        {
            return null;
        }
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("params", out var parameters) && parameters.ValueKind == System.Text.Json.JsonValueKind.Object
                && parameters.TryGetProperty("requestState", out var state) && state.ValueKind == System.Text.Json.JsonValueKind.String
                && _routes.TryRead(state.GetString()!, userKey, out var route))
            {
                return route.Owner;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // The SDK answers malformed JSON itself.
        }
        return null;
    }

    private async Task InvokeSdkAsync(HttpContext context)
    {
        // The inner pipeline maps the SDK at /mcp only; a virtual server's requests are served there, bound to their server.
        var path = context.Request.Path;
        context.Request.Path = Path;
        try
        {
            await InvokeSdkAtMcpAsync(context);
        }
        catch (InvalidOperationException ex) when (ex.TargetSite?.DeclaringType?.Assembly == typeof(System.Text.Json.JsonDocument).Assembly && !context.Response.HasStarted)
        {
            // The SDK reads a message's params lazily (JsonObject) while checking the protocol version; an unpaired
            // UTF-16 surrogate escape in a property name throws there instead of being refused as malformed JSON.
            throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_json",
                "The JSON-RPC message cannot be read: it holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF).");
        }
        finally
        {
            context.Request.Path = path;
        }
    }

    private async Task InvokeSdkAtMcpAsync(HttpContext context)
    {
        var interval = _options.CurrentValue.Hosting.SseHeartbeatSeconds;
        if (interval <= 0)
        {
            await _inner(context);
            return;
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP request refused with 429: a user reached {Setting}")]
    private static partial void LogCapReached(ILogger logger, string setting);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP session refused with 404: {Reason}")]
    private static partial void LogUnknownSession(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not extend session {SessionId} in storage: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, string sessionId, string reason);
}
