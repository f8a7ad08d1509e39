using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using MasterMcp.Configuration;
using MasterMcp.Gateway;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Scaleout;

/// <summary>
/// Carries an MCP request of a session to the instance that owns the session, and the owner's response back, over the
/// Redis backplane. The owner serves the request through exactly the pipeline a direct request takes (authentication
/// included), so everything a session does — streams, server→client requests and their answers, progress, cancellation —
/// works whichever instance the client reached. The requesting instance only copies bytes.
/// </summary>
public sealed partial class SessionTunnel : IHostedService
{
    /// <summary><c>HttpContext.Items</c> key marking a request that arrived through the backplane (never forwarded again).</summary>
    public const string ForwardedItem = "MasterMcp.Forwarded";

    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase) { "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Upgrade", "Content-Length" };

    private readonly RedisBackplane _backplane;
    private readonly InstanceIdentity _instance;
    private readonly IServiceProvider _services;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly ILogger<SessionTunnel> _logger;
    private readonly ConcurrentDictionary<Guid, Waiting> _waiting = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _watchdog = Task.CompletedTask;
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _serving = new();

    public SessionTunnel(RedisBackplane backplane, InstanceIdentity instance, IServiceProvider services, IOptionsMonitor<GatewayOptions> options, ILogger<SessionTunnel> logger)
    {
        _backplane = backplane;
        _instance = instance;
        _services = services;
        _options = options;
        _logger = logger;
    }

    private long _forwarded;
    private long _served;

    /// <summary>Requests this instance has carried to their owners so far.</summary>
    public long ForwardedTotal => Interlocked.Read(ref _forwarded);

    /// <summary>Requests this instance has served for other instances so far.</summary>
    public long ServedTotal => Interlocked.Read(ref _served);

    /// <summary>Requests this instance is forwarding and waiting on.</summary>
    public int ForwardingCount => _waiting.Count;

    /// <summary>Requests this instance is serving for others.</summary>
    public int ServingCount => _serving.Count;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _backplane.StartAsync(OnMessageAsync, cancellationToken);
        _watchdog = WatchOwnersAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watchdog;
        await _backplane.LeaveAsync();
        // Streams still served for other instances (GET streams) end now; their clients reconnect and learn the session is over.
        foreach (var serving in _serving.Values)
        {
            try
            {
                await serving.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // That request just finished.
            }
        }
    }

    /// <summary>Forwards this request to <paramref name="owner"/> and copies its response to the client.</summary>
    public async Task ForwardAsync(HttpContext context, string owner)
    {
        Interlocked.Increment(ref _forwarded);
        var exchange = Guid.NewGuid();
        var frames = Channel.CreateUnbounded<TunnelFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        var waiting = new Waiting(owner, frames);
        _waiting[exchange] = waiting;
        ReadOnlyMemory<byte> body = default;
        try
        {
            var request = context.Request;
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers)
            {
                if (!NotForwarded.Contains(name))
                {
                    headers[name] = values.ToArray()!;
                }
            }
            var head = new TunnelRequestHead(_instance.Id, request.Method, request.Scheme, request.Host.Value ?? "", request.Path.Value ?? "", request.QueryString.Value ?? "", headers);
            body = await BufferedRequestBody.ReadAsync(context);
            var receivers = await _backplane.PublishAsync(owner, TunnelFrame.Encode(TunnelFrameKind.Request, exchange, JsonSerializer.SerializeToUtf8Bytes(head, TunnelJsonContext.Default.TunnelRequestHead), body.Span));
            if (receivers == 0)
            {
                if (!_backplane.IsSettled)
                {
                    throw new OwnerLostException("The gateway's instances are reconnecting to Redis; try again in a few seconds.");
                }
                // No instance listens on the owner's channel: it stopped, and its sessions with it.
                LogOwnerGone(_logger, owner);
                await McpErrors.WriteSessionNotFoundAsync(context);
                return;
            }
            await WaitForAckAsync(context, frames.Reader, owner);
            await CopyResponseAsync(context, frames.Reader, owner, exchange, waiting);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the owner cancels the request as it would for a client of its own.
            _ = PublishQuietlyAsync(owner, TunnelFrame.Encode(TunnelFrameKind.Abort, exchange));
            throw;
        }
        catch (Exception ex) when (ex is ChannelClosedException { InnerException: OwnerLostException } or OwnerLostException or StackExchange.Redis.RedisException or TimeoutException)
        {
            var reason = ex is ChannelClosedException { InnerException: OwnerLostException lost } ? lost.Message
                : ex is OwnerLostException reconnecting ? reconnecting.Message
                : "Redis, which carries requests between the gateway's instances, is unavailable; try again shortly (requests of sessions held by this instance are not affected).";
            LogForwardFailed(_logger, owner, reason);
            await FailAsync(context, waiting, body, reason);
        }
        finally
        {
            _waiting.TryRemove(exchange, out _);
        }
    }

    /// <summary>
    /// Ends a forwarded request whose owner cannot answer: a JSON-RPC error for a request that has an id (as an SSE event
    /// when the answer stream had begun), else 503 with Retry-After.
    /// </summary>
    private static async Task FailAsync(HttpContext context, Waiting waiting, ReadOnlyMemory<byte> body, string reason)
    {
        var id = JsonRpcId(body);
        if (waiting.EventStreamStarted)
        {
            if (id is not null)
            {
                await context.Response.WriteAsync("event: message\ndata: " + JsonRpcError(id, reason) + "\n\n", CancellationToken.None);
            }
            return;
        }
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        if (id is null)
        {
            if (HttpMethods.IsGet(context.Request.Method))
            {
                // Clients reopen a failed GET stream at once; an answer that takes a moment keeps them from spinning.
                await Task.Delay(TimeSpan.FromSeconds(1), context.RequestAborted);
            }
            throw new GatewayHttpException(StatusCodes.Status503ServiceUnavailable, "session_owner_unavailable", reason)
            { Headers = new Dictionary<string, string> { ["Retry-After"] = "1" } };
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonRpcError(id, reason), CancellationToken.None);
    }

    private static string JsonRpcError(System.Text.Json.Nodes.JsonNode id, string reason) => new System.Text.Json.Nodes.JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id.DeepClone(),
        ["error"] = new System.Text.Json.Nodes.JsonObject { ["code"] = (int)ModelContextProtocol.McpErrorCode.InternalError, ["message"] = reason },
    }.ToJsonString();

    private static System.Text.Json.Nodes.JsonNode? JsonRpcId(ReadOnlyMemory<byte> body)
    {
        try
        {
            return body.Length > 0 && System.Text.Json.Nodes.JsonNode.Parse(body.Span) is System.Text.Json.Nodes.JsonObject message && message["method"] is not null
                ? message["id"]?.DeepClone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// While requests wait on other instances, checks every few seconds that each owner still listens (PUBSUB NUMSUB) and
    /// that Redis is reachable; the requests of an owner that is gone, or all of them while Redis is down, fail at once
    /// instead of waiting for answers that cannot come.
    /// </summary>
    private async Task WatchOwnersAsync(CancellationToken stopping)
    {
        var interval = TimeSpan.FromSeconds(_options.CurrentValue.Scaleout.OwnerCheckSeconds);
        try
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (_waiting.IsEmpty)
                {
                    continue;
                }
                foreach (var owner in _waiting.Values.Select(w => w.Owner).Distinct(StringComparer.Ordinal).ToList())
                {
                    string? lost = null;
                    try
                    {
                        if (await _backplane.ListenersAsync(owner) == 0 && _backplane.IsSettled)
                        {
                            lost = $"The gateway instance that holds this MCP session ({owner}) stopped before answering; start a new session.";
                        }
                    }
                    catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                    {
                        lost = "Redis, which carries requests between the gateway's instances, became unavailable before the answer arrived; try again shortly.";
                    }
                    if (lost is null)
                    {
                        continue;
                    }
                    foreach (var waiting in _waiting.Values.Where(w => w.Owner == owner))
                    {
                        waiting.Frames.Writer.TryComplete(new OwnerLostException(lost));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task WaitForAckAsync(HttpContext context, ChannelReader<TunnelFrame> frames, string owner)
    {
        var timeout = TimeSpan.FromSeconds(_options.CurrentValue.Scaleout.ForwardTimeoutSeconds);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(timeout);
        try
        {
            var frame = await frames.ReadAsync(cts.Token);
            if (frame.Kind != TunnelFrameKind.Ack)
            {
                throw new InvalidOperationException($"expected an acknowledgement from instance {owner}, got {frame.Kind}");
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw new GatewayHttpException(StatusCodes.Status503ServiceUnavailable, "session_owner_unavailable",
                $"The instance that holds this MCP session ({owner}) did not answer within {timeout.TotalSeconds:0.#} s (scaleout.forward_timeout_seconds); try again.")
            { Headers = new Dictionary<string, string> { ["Retry-After"] = "1" } };
        }
    }

    private async Task CopyResponseAsync(HttpContext context, ChannelReader<TunnelFrame> frames, string owner, Guid exchange, Waiting waiting)
    {
        while (true)
        {
            var frame = await frames.ReadAsync(context.RequestAborted);
            switch (frame.Kind)
            {
                case TunnelFrameKind.Head:
                    var head = JsonSerializer.Deserialize(frame.Json.Span, TunnelJsonContext.Default.TunnelResponseHead)
                        ?? throw new InvalidOperationException($"empty response head from instance {owner}");
                    context.Response.StatusCode = head.Status;
                    foreach (var (name, values) in head.Headers)
                    {
                        context.Response.Headers[name] = values;
                    }
                    if (!head.Final)
                    {
                        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                        waiting.EventStreamStarted = context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
                    }
                    await context.Response.Body.WriteAsync(frame.Body, context.RequestAborted);
                    if (head.Final)
                    {
                        return;
                    }
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    break;
                case TunnelFrameKind.Data:
                    await context.Response.Body.WriteAsync(frame.Body, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    break;
                case TunnelFrameKind.End:
                    return;
                default:
                    LogUnexpectedFrame(_logger, frame.Kind, exchange);
                    break;
            }
        }
    }

    private Task OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        if (!TunnelFrame.TryDecode(message, out var frame))
        {
            LogMalformed(_logger, message.Length);
            return Task.CompletedTask;
        }
        switch (frame.Kind)
        {
            case TunnelFrameKind.Request:
                var head = JsonSerializer.Deserialize(frame.Json.Span, TunnelJsonContext.Default.TunnelRequestHead);
                if (head is null)
                {
                    break;
                }
                // Registered before serving starts, so an Abort that follows at once finds it.
                var aborted = new CancellationTokenSource();
                _serving[frame.Exchange] = aborted;
                _ = Task.Run(() => ServeAsync(frame.Exchange, head, frame.Body, aborted));
                break;
            case TunnelFrameKind.Abort:
                if (_serving.TryGetValue(frame.Exchange, out var cts))
                {
                    cts.Cancel();
                }
                break;
            default:
                if (_waiting.TryGetValue(frame.Exchange, out var waiting))
                {
                    waiting.Frames.Writer.TryWrite(frame);
                }
                break;
        }
        return Task.CompletedTask;
    }

    private async Task ServeAsync(Guid exchange, TunnelRequestHead head, ReadOnlyMemory<byte> body, CancellationTokenSource aborted)
    {
        try
        {
            Interlocked.Increment(ref _served);
            await _backplane.PublishAsync(head.ReplyTo, TunnelFrame.Encode(TunnelFrameKind.Ack, exchange));
            await using var scope = _services.CreateAsyncScope();
            using var response = new TunnelResponse(bytes => _backplane.PublishAsync(head.ReplyTo, bytes), exchange);
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            context.Features.Set<IHttpResponseFeature>(response);
            context.Features.Set<IHttpResponseBodyFeature>(response);
            context.Features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = aborted.Token });
            var request = context.Request;
            request.Method = head.Method;
            request.Scheme = head.Scheme;
            request.Host = new HostString(head.Host);
            request.Path = head.Path;
            request.QueryString = new QueryString(head.Query);
            foreach (var (name, values) in head.Headers)
            {
                request.Headers[name] = values;
            }
            request.ContentLength = body.Length;
            request.Body = new MemoryStream(body.ToArray(), writable: false);
            context.Items[ForwardedItem] = true;
            var pipeline = _services.GetRequiredService<GatewayPipeline>();
            await pipeline.InvokeAsync(context, GatewayRoutes.ForMcpPath(head.Path));
            await response.CompleteAsync();
        }
        catch (Exception ex)
        {
            LogServeFailed(_logger, head.ReplyTo, ex);
            await PublishQuietlyAsync(head.ReplyTo, TunnelFrame.Encode(TunnelFrameKind.End, exchange));
        }
        finally
        {
            _serving.TryRemove(exchange, out _);
            aborted.Dispose();
        }
    }

    private async Task PublishQuietlyAsync(string instance, byte[] frame)
    {
        try
        {
            await _backplane.PublishAsync(instance, frame);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or ObjectDisposedException)
        {
            LogPublishFailed(_logger, instance, ex.Message);
        }
    }

    /// <summary>A request waiting on another instance.</summary>
    private sealed class Waiting(string owner, Channel<TunnelFrame> frames)
    {
        public string Owner { get; } = owner;

        public Channel<TunnelFrame> Frames { get; } = frames;

        /// <summary>True once an SSE answer began (a failure is then reported as one more event).</summary>
        public bool EventStreamStarted { get; set; }
    }

    /// <summary>The owner of a forwarded request cannot answer any more (it stopped, or Redis is down).</summary>
    private sealed class OwnerLostException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A request forwarded to instance {Owner} failed: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string owner, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Owner} no longer listens: its session is gone (404)")]
    private static partial void LogOwnerGone(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed backplane message of {Length} bytes")]
    private static partial void LogMalformed(ILogger logger, int length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected {Kind} frame for exchange {Exchange}")]
    private static partial void LogUnexpectedFrame(ILogger logger, TunnelFrameKind kind, Guid exchange);

    [LoggerMessage(Level = LogLevel.Error, Message = "Serving a request forwarded by instance {ReplyTo} failed")]
    private static partial void LogServeFailed(ILogger logger, string replyTo, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish to instance {Instance}: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string instance, string reason);
}
