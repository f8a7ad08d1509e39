using System.Collections.Concurrent;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Everything this instance holds for one client session, in one object: created when the session begins, disposed when
/// it ends (DELETE, idle expiry, drain, shutdown). It owns the session's per-client backend sessions — and with them their
/// pending server→client requests and progress — and carries what other parts key by session (the user, when the
/// session was last written to the store). Caches derived from a session (catalog listings) are dropped on
/// <see cref="DownstreamSessions.Ended"/>.
/// </summary>
public sealed class DownstreamSession : IAsyncDisposable
{
    private int _disposed;

    public DownstreamSession(McpServer server, Auth.GatewayUser? user, DateTimeOffset started, Limits.UserSlot? slot = null)
    {
        Slot = slot;
        Id = server.SessionId ?? throw new ArgumentException("a downstream session needs a session id", nameof(server));
        Server = server;
        User = user;
        LastStored = started;
    }

    /// <summary>The SDK's session id (local to this instance; clients see it wrapped in a routed id when scale-out is on).</summary>
    public string Id { get; }

    /// <summary>The session-level server: unsolicited messages to the client (list_changed, elicitation/complete) go through it.</summary>
    public McpServer Server { get; }

    /// <summary>The user the session belongs to (null when auth is off).</summary>
    public Auth.GatewayUser? User { get; }

    /// <summary>The virtual server the session was opened on (<c>/mcp/{name}</c>), or null for <c>/mcp</c>; it is never served elsewhere.</summary>
    public string? VirtualServer { get; init; }

    /// <summary>The session's place under sessions.max_sessions_per_user (null without a user or cap); freed when the session ends.</summary>
    public Limits.UserSlot? Slot { get; }

    /// <summary>When the session's row in the store was last extended (writes are throttled per session).</summary>
    public DateTimeOffset LastStored { get; set; }

    /// <summary>This session's own backend sessions (per_client backends), by backend id.</summary>
    public ConcurrentDictionary<string, BackendClient> Backends { get; } = new(StringComparer.Ordinal);

    /// <summary>Closes this session's backend sessions (their processes, for stdio backends).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        var backends = Backends.Values.ToList();
        Backends.Clear();
        await Task.WhenAll(backends.Select(b => b.DisposeAsync().AsTask()));
        if (Slot is not null)
        {
            await Slot.DisposeAsync();
        }
    }
}
