using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Where a backend session's server→client traffic goes. A backend request (sampling, elicitation, roots) is answered by the
/// client call that is in flight on this backend session — through that call's request-bound server, so it travels on the
/// call's own response stream (and becomes an <c>InputRequiredResult</c> for 2026-07-28 clients) — or, when no call is in
/// flight, by the client session itself (its GET stream). Unsolicited notifications go to the client session.
/// </summary>
/// <remarks>
/// The SDK's client handlers do not say which outgoing request caused a server→client request (csharp-sdk #702). A link
/// belongs to exactly one downstream client, so the answer is always that client's; with several concurrent calls of the
/// same client on the same backend, the most recent call carries it.
/// </remarks>
public sealed class DownstreamLink(McpServer? session)
{
    private readonly Lock _gate = new();
    private readonly List<McpServer> _active = [];

    /// <summary>The downstream client session (session-level server), or null for a stateless client.</summary>
    public McpServer? Session { get; } = session;

    /// <summary>Marks a client call as in flight on this backend session until the scope is disposed.</summary>
    public IDisposable Enter(McpServer requestServer)
    {
        lock (_gate)
        {
            _active.Add(requestServer);
        }
        return new Exit(this, requestServer);
    }

    /// <summary>Who answers a server→client request now, or null when nobody can.</summary>
    public McpServer? ForRequest()
    {
        lock (_gate)
        {
            return _active.Count > 0 ? _active[^1] : Session;
        }
    }

    /// <summary>Who receives an unsolicited notification now, or null when nobody can.</summary>
    public McpServer? ForNotification()
    {
        if (Session is not null)
        {
            return Session;
        }
        lock (_gate)
        {
            return _active.Count > 0 ? _active[^1] : null;
        }
    }

    private sealed class Exit(DownstreamLink link, McpServer requestServer) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                lock (link._gate)
                {
                    link._active.Remove(requestServer);
                }
            }
        }
    }
}
