using System.Collections.Concurrent;
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

    /// <summary>Forwards a backend's <c>notifications/progress</c> to the client call its token belongs to; drops unknown tokens.</summary>
    public async ValueTask ForwardAsync(JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (parameters is not JsonObject p || p["progressToken"] is not JsonValue value || !value.TryGetValue<string>(out var token)
            || !_tokens.TryGetValue(token, out var route))
        {
            return;
        }
        var copy = (JsonObject)p.DeepClone();
        copy["progressToken"] = route.Original.DeepClone();
        Interlocked.Increment(ref route.InFlight);
        try
        {
            await DownstreamSend.NotifyAsync(route.Target, NotificationMethods.ProgressNotification, copy, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref route.InFlight);
        }
    }

    /// <summary>One mapped token; dispose when the call has ended.</summary>
    public sealed class Registration(ProgressRelay relay, string token, McpServer target, JsonNode original) : IDisposable
    {
        internal int InFlight;

        internal McpServer Target { get; } = target;

        internal JsonNode Original { get; } = original;

        /// <summary>
        /// Lets progress that arrived before the backend's response finish its way to the client. The SDK client dispatches
        /// notifications concurrently with completing the response, so without this the last steps could be lost.
        /// </summary>
        public async Task DrainAsync()
        {
            await Task.Delay(15);
            for (var i = 0; i < 50 && Volatile.Read(ref InFlight) > 0; i++)
            {
                await Task.Delay(10);
            }
        }

        /// <inheritdoc />
        public void Dispose() => relay._tokens.TryRemove(token, out _);
    }
}
