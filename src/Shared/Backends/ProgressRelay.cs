using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Maps each client's progress token to a gateway-unique token for the backend call, and maps the backend's progress
/// notifications back: to the client call that asked for them, with the client's own token. Two clients using the same
/// token on a shared backend session therefore never see each other's progress.
/// </summary>
public sealed class ProgressRelay
{
    private readonly ConcurrentDictionary<string, Registration> _tokens = new(StringComparer.Ordinal);
    private readonly string _instance = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
    private long _next;

    /// <summary>Tokens currently mapped (calls in flight that asked for progress).</summary>
    public int Count => _tokens.Count;

    /// <summary>
    /// A copy of <paramref name="meta"/> whose <c>progressToken</c> is replaced by a gateway token routed to
    /// <paramref name="target"/>; the registration ends when the returned scope is disposed. Without a token, returns the meta unchanged.
    /// </summary>
    public (JsonObject? Meta, Registration? Registration) Map(JsonObject? meta, McpServer target)
    {
        meta = WithoutHopMetadata(meta);
        if (meta?["progressToken"] is not { } original)
        {
            return (meta, null);
        }
        var token = $"mmcp-{_instance}-{Interlocked.Increment(ref _next)}";
        var registration = new Registration(this, token, target, original.DeepClone());
        _tokens[token] = registration;
        var copy = (JsonObject)meta.DeepClone();
        copy["progressToken"] = token;
        return (copy, registration);
    }

    /// <summary>
    /// The client's <c>_meta</c> without the 2026-07-28 per-request keys (<c>io.modelcontextprotocol/*</c>: protocol version,
    /// client info, capabilities). They describe the client↔gateway hop; the gateway's own backend session says what the
    /// backend hop speaks, and forwarding them would make a pinned backend treat the call as another revision's.
    /// </summary>
    public static JsonObject? WithoutHopMetadata(JsonObject? meta)
    {
        if (meta is null || !meta.Any(p => p.Key.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal)))
        {
            return meta;
        }
        var copy = new JsonObject();
        foreach (var (key, value) in meta)
        {
            if (!key.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal))
            {
                copy[key] = value?.DeepClone();
            }
        }
        return copy.Count == 0 ? null : copy;
    }

    /// <summary>
    /// Notes, in the order the backend session reads its messages (<see cref="ProgressOrderingTransport"/>), that a progress
    /// notification for a mapped token arrived. A response read after it therefore counts it before its call continues.
    /// </summary>
    internal void Arrived(JsonNode? parameters)
    {
        if (Route(parameters) is { } route)
        {
            Interlocked.Increment(ref route.ArrivedCount);
        }
    }

    /// <summary>Forwards a backend's <c>notifications/progress</c> to the client call its token belongs to; drops unknown tokens.</summary>
    public async ValueTask ForwardAsync(JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (Route(parameters) is not { } route)
        {
            return;
        }
        try
        {
            var copy = (JsonObject)parameters!.DeepClone();
            copy["progressToken"] = route.Original.DeepClone();
            await DownstreamSend.NotifyAsync(route.Target, NotificationMethods.ProgressNotification, copy, cancellationToken);
        }
        finally
        {
            route.Forwarded();
        }
    }

    private Registration? Route(JsonNode? parameters) =>
        parameters is JsonObject p && p["progressToken"] is JsonValue value && value.TryGetValue<string>(out var token)
        && _tokens.TryGetValue(token, out var route) ? route : null;

    /// <summary>One mapped token; dispose when the call has ended.</summary>
    public sealed class Registration(ProgressRelay relay, string token, McpServer target, JsonNode original) : IDisposable
    {
        /// <summary>The longest a call waits for its progress to be forwarded (a notification the SDK never dispatched).</summary>
        private static readonly TimeSpan MaxDrain = TimeSpan.FromMilliseconds(500);

        /// <summary>
        /// How long after relaying a progress notification the result is held back. Not for ordering (that is exact, see
        /// <see cref="DrainAsync"/>): the C# SDK client also dispatches a notification and the response that follows it
        /// concurrently, and its <c>CallToolAsync</c> unregisters its progress handler when the result arrives, so progress
        /// sent right before the result would be lost there. Paid only when progress was relayed this recently.
        /// </summary>
        private static readonly TimeSpan ClientGrace = TimeSpan.FromMilliseconds(15);

        internal int ArrivedCount;
        private int _forwarded;
        private int _target;
        private long _lastForwarded;
        private TaskCompletionSource? _drained;

        internal McpServer Target { get; } = target;

        internal JsonNode Original { get; } = original;

        internal void Forwarded()
        {
            Volatile.Write(ref _lastForwarded, Stopwatch.GetTimestamp());
            var forwarded = Interlocked.Increment(ref _forwarded);
            if (Volatile.Read(ref _drained) is { } drained && forwarded >= Volatile.Read(ref _target))
            {
                drained.TrySetResult();
            }
        }

        /// <summary>
        /// Completes when every progress notification the backend sent before its response has been forwarded to the client.
        /// The SDK client dispatches notifications concurrently with completing the response; the transport counted them in
        /// arrival order (<see cref="ProgressOrderingTransport"/>), so this waits for exactly those, with no fixed delay.
        /// </summary>
        public Task DrainAsync()
        {
            var target = Volatile.Read(ref ArrivedCount);
            if (target == 0)
            {
                return Task.CompletedTask;
            }
            return DrainAsync(target);
        }

        private async Task DrainAsync(int target)
        {
            if (Volatile.Read(ref _forwarded) < target)
            {
                var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _target, target);
                Volatile.Write(ref _drained, drained);
                if (Volatile.Read(ref _forwarded) < target)
                {
                    await Task.WhenAny(drained.Task, Task.Delay(MaxDrain));
                }
            }
            var since = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastForwarded));
            if (since < ClientGrace)
            {
                await Task.Delay(ClientGrace - since);
            }
        }

        /// <inheritdoc />
        public void Dispose() => relay._tokens.TryRemove(token, out _);
    }
}
