using System.Collections.Concurrent;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>The client sessions this instance holds: the one place a session is found, and the one place it ends.</summary>
public sealed class DownstreamSessions(TimeProvider time) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, DownstreamSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Raised after a session ended (its backend sessions are closed): drop anything derived from it.</summary>
    public event Action<string>? Ended;

    /// <summary>Sessions held now.</summary>
    public int Count => _sessions.Count;

    /// <summary>Every session held now.</summary>
    public IReadOnlyCollection<DownstreamSession> All => [.. _sessions.Values];

    /// <summary>A session begins (the SDK started it): its object, replacing any seen for the same id before.</summary>
    public DownstreamSession Begin(McpServer server, Auth.GatewayUser? user, Limits.UserSlot? slot = null, string? virtualServer = null)
    {
        var session = new DownstreamSession(server, user, time.GetUtcNow(), slot) { VirtualServer = virtualServer };
        _sessions[session.Id] = session;
        return session;
    }

    /// <summary>The session's object, created on first sight when the SDK did not announce it (kept once known).</summary>
    public DownstreamSession? Track(McpServer server, Auth.GatewayUser? user) =>
        server.SessionId is { } id ? _sessions.GetOrAdd(id, _ => new DownstreamSession(server, user, time.GetUtcNow())) : null;

    /// <summary>The session with this id, or null.</summary>
    public DownstreamSession? Find(string sessionId) => _sessions.GetValueOrDefault(sessionId);


    /// <summary>Ends a session: removes it, closes what it owns, and tells whoever keeps caches for it. Idempotent.</summary>
    public async Task EndAsync(string sessionId)
    {
        if (_sessions.TryRemove(sessionId, out var session))
        {
            await session.DisposeAsync();
        }
        Ended?.Invoke(sessionId);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var id in _sessions.Keys.ToList())
        {
            await EndAsync(id);
        }
    }
}
