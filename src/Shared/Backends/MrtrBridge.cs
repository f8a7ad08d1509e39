using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Bridges server→client requests to clients on 2026-07-28, which have no stream to receive them: the backend call runs
/// on, and each request it makes (elicitation, sampling, roots) is returned to the client as an <c>InputRequiredResult</c>
/// whose <c>requestState</c> names the pending call; the client's retry carries the answers, which complete the backend's
/// waiting request, and the call continues. Legacy backends that elicit over their session thus serve 2026 clients.
/// </summary>
/// <remarks>
/// A pending call lives in this instance's memory. Its <c>requestState</c> is issued by <see cref="Scaleout.OwnerRoutes"/>:
/// with several instances it names this one and the user, so a retry reaching another instance is carried here.
/// </remarks>
public sealed class MrtrBridge(Scaleout.OwnerRoutes routes)
{
    private static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, PendingCall> _byId = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<McpServer, PendingCall> _byRequest = [];

    /// <summary>Pending calls waiting for a client's answers.</summary>
    public int PendingCount => _byId.Count;

    /// <summary>True when this request should run through the bridge: a 2026-07-28 client that can answer server requests.</summary>
#pragma warning disable MCP9005 // A 2026-07-28 client may still declare sampling and roots (deprecated by SEP-2577, not removed).
    public static bool Applies(McpServer requestServer) =>
        requestServer.IsMrtrSupported && requestServer.ClientCapabilities is { } c && (c.Elicitation is not null || c.Sampling is not null || c.Roots is not null);
#pragma warning restore MCP9005

    /// <summary>Starts a backend call for <paramref name="requestServer"/> and returns its result or the input it needs.</summary>
    public Task<T> StartAsync<T>(McpServer requestServer, string? userKey, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        var pending = new PendingCall(Guid.NewGuid().ToString("N"), userKey);
        _byId[pending.Id] = pending;
        _byRequest.AddOrUpdate(requestServer, pending);
        pending.Lifetime.CancelAfter(IdleLimit);
        pending.Call = Task.Run(async () => (object)await call(pending.Lifetime.Token));
        return NextAsync<T>(pending, cancellationToken);
    }

    /// <summary>Continues the pending call named by a retry's <c>requestState</c>; false when there is none (another instance, or expired).</summary>
    public bool TryResume<T>(string? requestState, string? userKey, IDictionary<string, InputResponse>? responses, CancellationToken cancellationToken, out Task<T> next)
        where T : class
    {
        next = null!;
        // Only the user who got the requestState can continue the call (the MAC covers the user when scaled out).
        if (requestState is null || !routes.TryRead(requestState, userKey, out var route) || route.Owner != routes.Self
            || !_byId.TryGetValue(route.LocalId, out var pending) || pending.UserKey != userKey)
        {
            return false;
        }
        pending.Lifetime.CancelAfter(IdleLimit);
        foreach (var (key, response) in responses ?? new Dictionary<string, InputResponse>())
        {
            if (pending.Outstanding.TryRemove(key, out var answer))
            {
                answer.TrySetResult(response);
            }
        }
        next = NextAsync<T>(pending, cancellationToken);
        return true;
    }

    /// <summary>Asks the client of a bridged call; null when <paramref name="requestServer"/> has no bridged call (use its stream).</summary>
    public Task<InputResponse>? TryAsk(McpServer requestServer, InputRequest request, CancellationToken cancellationToken)
    {
        if (!_byRequest.TryGetValue(requestServer, out var pending))
        {
            return null;
        }
        var key = "in-" + Interlocked.Increment(ref pending.NextKey).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<InputResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending.Outstanding[key] = answer;
        pending.Requests.Writer.TryWrite((key, request));
        return answer.Task.WaitAsync(cancellationToken);
    }

    private async Task<T> NextAsync<T>(PendingCall pending, CancellationToken cancellationToken)
        where T : class
    {
        var waiting = pending.Requests.Reader.WaitToReadAsync(cancellationToken).AsTask();
        var first = await Task.WhenAny(pending.Call, waiting);
        if (first == pending.Call || !pending.Requests.Reader.TryPeek(out _))
        {
            if (first != pending.Call)
            {
                await pending.Call;
            }
            _byId.TryRemove(pending.Id, out _);
            pending.Lifetime.Dispose();
            return (T)await pending.Call;
        }
        var inputs = new Dictionary<string, InputRequest>(StringComparer.Ordinal);
        while (pending.Requests.Reader.TryRead(out var item))
        {
            inputs[item.Key] = item.Request;
        }
        throw new InputRequiredException(inputs, routes.Issue(pending.Id, pending.UserKey));
    }

    private sealed class PendingCall(string id, string? userKey)
    {
        public string Id { get; } = id;
        public string? UserKey { get; } = userKey;
        public Task<object> Call { get; set; } = Task.FromResult<object>(null!);
        public CancellationTokenSource Lifetime { get; } = new();
        public ConcurrentDictionary<string, TaskCompletionSource<InputResponse>> Outstanding { get; } = new(StringComparer.Ordinal);
        public Channel<(string Key, InputRequest Request)> Requests { get; } = Channel.CreateUnbounded<(string, InputRequest)>();
        public long NextKey;
    }
}
