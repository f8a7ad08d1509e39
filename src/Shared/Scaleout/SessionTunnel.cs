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
    private readonly ConcurrentDictionary<Guid, Channel<TunnelFrame>> _waiting = new();
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
    public Task StartAsync(CancellationToken cancellationToken) => _backplane.StartAsync(OnMessageAsync, cancellationToken);

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
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
        var frames = Channel.CreateUnbounded<TunnelFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _waiting[exchange] = frames;
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
            byte[] body;
            using (var buffer = new MemoryStream())
            {
                await request.Body.CopyToAsync(buffer, context.RequestAborted);
                body = buffer.ToArray();
            }
            var receivers = await _backplane.PublishAsync(owner, TunnelFrame.Encode(TunnelFrameKind.Request, exchange, JsonSerializer.SerializeToUtf8Bytes(head, TunnelJsonContext.Default.TunnelRequestHead), body));
            if (receivers == 0)
            {
                // No instance listens on the owner's channel: it stopped, and its sessions with it.
                LogOwnerGone(_logger, owner);
                await McpErrors.WriteSessionNotFoundAsync(context);
                return;
            }
            await WaitForAckAsync(context, frames.Reader, owner);
            await CopyResponseAsync(context, frames.Reader, owner, exchange);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: the owner cancels the request as it would for a client of its own.
            _ = PublishQuietlyAsync(owner, TunnelFrame.Encode(TunnelFrameKind.Abort, exchange));
            throw;
        }
        finally
        {
            _waiting.TryRemove(exchange, out _);
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

    private async Task CopyResponseAsync(HttpContext context, ChannelReader<TunnelFrame> frames, string owner, Guid exchange)
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
                    waiting.Writer.TryWrite(frame);
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
            await pipeline.InvokeAsync(context, GatewayRoutes.Mcp);
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
