using System.Collections.Concurrent;
using MasterMcp.Configuration;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Backends;

/// <summary>
/// Finds or creates the backend session a request runs on. Each backend has one shared session (used for catalog
/// listing, for backends declared <c>session: shared</c>, and for stateless clients); backends in <c>per_client</c> mode
/// get one session per downstream client session, owned by that session's <see cref="DownstreamSession"/>, so a backend's
/// server→client requests reach exactly the client that owns it; per-user backends without a client session get one per
/// (user, backend). Follows configuration reloads structurally: only backends whose definition was removed or changed are
/// closed (their processes killed); the others keep their sessions and processes; added ones appear.
/// </summary>
public sealed partial class BackendRegistry : IAsyncDisposable
{
    /// <summary>The owner name of shared sessions.</summary>
    public const string SharedOwner = "shared";

    private readonly BackendConnector _connector;
    private readonly MrtrBridge _bridge;
    private readonly ProgressRelay _progress;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<BackendRegistry> _logger;
    private readonly GatewayConfigMonitor _config;
    private readonly Lock _processGate = new();
    private readonly ConcurrentDictionary<string, BackendClient> _shared = new(StringComparer.Ordinal);
    private readonly DownstreamSessions _sessions;
    private readonly ConcurrentDictionary<(string User, string Backend), BackendClient> _perUser = new();
    private readonly ConcurrentDictionary<(string Profile, string Backend), BackendClient> _profiles = new();
    private readonly IDisposable _subscription;
    private DefinitionSet _definitions;
    // Backends an admin switched off at run time (Admin/RuntimeOverrides): left out as if removed from the configuration.
    private IReadOnlySet<string> _disabled = new HashSet<string>(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyGate = new(1, 1);

    public BackendRegistry(GatewayConfigMonitor config, BackendConnector connector, ProgressRelay progress, MrtrBridge bridge, DownstreamSessions sessions, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _sessions = sessions;
        _bridge = bridge;
        _config = config;
        _connector = connector;
        _progress = progress;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<BackendRegistry>();
        _definitions = new DefinitionSet(config.Snapshot.Backends);
        _subscription = config.Subscribe(ApplyAsync);
    }

    /// <summary>Raised when a backend says one of its lists changed ("tools", "resources", "prompts", or "all" when it went down or came back).</summary>
    public event Action<string?, string>? ListChanged;

    /// <summary>Raised once per applied reload that added, removed or changed backends, after their old sessions were closed.</summary>
    public event Action<BackendChanges>? BackendsChanged;

    /// <summary>Raised when a backend session that belongs to one client session says one of its lists changed (backend id, client session id).</summary>
    public event Action<string, string>? ClientListChanged;


    /// <summary>Backends in configuration order.</summary>
    public IReadOnlyList<BackendDefinition> Definitions => Volatile.Read(ref _definitions).InOrder;

    /// <summary>The backend with this id, or null.</summary>
    public BackendDefinition? Find(string id) => Volatile.Read(ref _definitions).ById.TryGetValue(id, out var d) ? d : null;

    /// <summary>How many per-client and per-user backend sessions are open (all backends).</summary>
    public int PerClientSessionCount => _sessions.All.Sum(s => s.Backends.Count) + _perUser.Count;

    /// <summary>The shared session of a backend.</summary>
    public BackendClient Shared(BackendDefinition definition) =>
        _shared.GetOrAdd(definition.Id, _ =>
        {
            var client = Create(definition, SharedOwner, link: null, capabilities: null);
            client.Disconnected += c => ListChanged?.Invoke(c.Definition.Id, "all");
            return client;
        });

    /// <summary>The state of a backend's shared session, without creating one (null when none exists yet).</summary>
    public BackendState? SharedState(string backendId) => _shared.TryGetValue(backendId, out var client) ? client.State : null;

    /// <summary>Probes the shared session of one backend; a change of state (down or back up) refreshes the catalog.</summary>
    public async Task ProbeAsync(BackendDefinition definition, CancellationToken cancellationToken)
    {
        var shared = Shared(definition);
        var wasConnected = shared.State == BackendState.Connected;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var up = await shared.ProbeAsync(cancellationToken);
        Observability.GatewayMetrics.RecordProbe(definition.Id, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, up);
        if (up && !wasConnected)
        {
            // Back up: its tools return to the catalog.
            ListChanged?.Invoke(definition.Id, "all");
        }
    }

    /// <summary>
    /// The session a request from <paramref name="server"/> should use for <paramref name="definition"/>: its own per-client
    /// session in per_client mode when the client has a session, else the shared one.
    /// </summary>
    public BackendClient For(BackendDefinition definition, McpServer? server)
    {
        var sessionId = server?.SessionId;
        if (definition.SessionMode == BackendSessionMode.Shared || sessionId is null)
        {
            return Shared(definition);
        }
        // The link needs the session-level server (unsolicited traffic goes to the session's GET stream), not the
        // request-bound one that handlers see.
        var session = _sessions.Track(server!, null)!;
        if (definition.Kind != BackendKind.Stdio)
        {
            return session.Backends.GetOrAdd(definition.Id, _ => Create(definition, session.Id, new DownstreamLink(session.Server), session.Server.ClientCapabilities));
        }
        BackendClient client;
        lock (_processGate)
        {
            if (!session.Backends.TryGetValue(definition.Id, out client!))
            {
                EnsureUserUnderProcessCap(session);
                client = session.Backends.GetOrAdd(definition.Id, _ => Create(definition, session.Id, new DownstreamLink(session.Server), session.Server.ClientCapabilities));
            }
        }
        EnforceProcessCap(session, client);
        return client;
    }

    /// <summary>
    /// The backend session a call from <paramref name="requestServer"/> runs on, marked as in flight on its link so that the
    /// backend's requests reach this call. A stateless client (no session) that declared sampling, elicitation or roots gets
    /// a session of its own for this call only (closed when the lease ends): nobody else's requests can reach it.
    /// </summary>
    public BackendLease Lease(BackendDefinition definition, McpServer requestServer)
    {
        if (requestServer.SessionId is null && definition.SessionMode == BackendSessionMode.PerClient && HasRelayCapabilities(requestServer.ClientCapabilities))
        {
            var link = new DownstreamLink(null);
            var transient = Create(definition, "call", link, requestServer.ClientCapabilities);
            return new BackendLease(transient, link.Enter(requestServer), transient);
        }
        var client = For(definition, requestServer);
        return new BackendLease(client, client.Link?.Enter(requestServer), null);
    }

    /// <summary>
    /// The backend session whose lists a client should see: its own session when it declared capabilities a backend may
    /// register tools for (sampling, elicitation, roots), else the shared one. Stateless clients with such capabilities
    /// list through a session per capability profile (never used for calls).
    /// </summary>
    public BackendClient ForListing(BackendDefinition definition, McpServer? client)
    {
        if (client is null || definition.SessionMode == BackendSessionMode.Shared || !HasRelayCapabilities(client.ClientCapabilities))
        {
            return Shared(definition);
        }
        if (client.SessionId is not null)
        {
            return For(definition, client);
        }
        var profile = ProfileOf(client.ClientCapabilities);
        return _profiles.GetOrAdd((profile, definition.Id), key => Create(definition, "profile:" + key.Profile, new DownstreamLink(null), client.ClientCapabilities));
    }

    /// <summary>The catalog owner key of a client: "shared", its session id, or its capability profile.</summary>
    public static string ListingOwner(McpServer? client) =>
        client is null || !HasRelayCapabilities(client.ClientCapabilities) ? SharedOwner
        : client.SessionId ?? "profile:" + ProfileOf(client.ClientCapabilities);

#pragma warning disable MCP9005 // Sampling and roots are deprecated for 2026-07-28 (SEP-2577); clients and backends on earlier revisions still use them, and the gateway relays them.
    /// <summary>True when a client declared a capability that lets a backend send it requests.</summary>
    public static bool HasRelayCapabilities(ClientCapabilities? capabilities) =>
        capabilities is not null && (capabilities.Sampling is not null || capabilities.Elicitation is not null || capabilities.Roots is not null);

    private static string ProfileOf(ClientCapabilities? c) =>
        $"{(c?.Sampling is null ? "" : "s")}{(c?.Elicitation is null ? "" : "e")}{(c?.Elicitation?.Url is null ? "" : "u")}{(c?.Roots is null ? "" : "r")}";
#pragma warning restore MCP9005

    /// <summary>Forwards a client's notification (e.g. roots/list_changed) to every backend session of that client session.</summary>
    public async Task ForwardToBackendsAsync(string sessionId, string method, System.Text.Json.Nodes.JsonNode? parameters, CancellationToken cancellationToken)
    {
        foreach (var backend in _sessions.Find(sessionId)?.Backends.Values.ToArray() ?? [])
        {
            if (backend.State != BackendState.Connected)
            {
                continue;
            }
            try
            {
                var client = await backend.GetAsync(cancellationToken);
                await client.SendNotificationAsync(method, parameters?.DeepClone(), cancellationToken: cancellationToken);
            }
            catch (Exception ex) when (ex is BackendUnavailableException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // A backend that just went away will be reconnected with fresh state on its next use.
            }
        }
    }

    /// <summary>
    /// The session of a backend that needs per-user credentials: one per (downstream session, backend) for per_client
    /// backends, else one per (user, backend). <paramref name="httpClient"/> carries the user's token; it is only used when
    /// the session is created. Sessions of one user are never handed to another (the key holds the user).
    /// </summary>
    public BackendClient ForUser(BackendDefinition definition, McpServer? server, string userKey, Func<HttpClient> httpClient)
    {
        var session = definition.SessionMode == BackendSessionMode.PerClient && server?.SessionId is not null ? _sessions.Track(server, null) : null;
        BackendClient Create(string owner, DownstreamLink? link, ClientCapabilities? capabilities)
        {
            var http = httpClient();
            var logger = _loggerFactory.CreateLogger<BackendClient>();
            return new BackendClient(Current(definition), owner + "/" + userKey, (d, ct) => _connector.ConnectAsync(d, ClientOptions(d, owner, link, capabilities), http, ct), _time, logger) { Link = link };
        }
        // As in For(): the link needs the session-level server, not the request-bound one.
        var client = session is not null
            ? session.Backends.GetOrAdd(definition.Id, _ => Create(session.Id, new DownstreamLink(session.Server), session.Server.ClientCapabilities))
            : _perUser.GetOrAdd((userKey, definition.Id), _ => Create("user:" + userKey, null, null));
        // The SDK binds a session to its user; this keeps a session id presented by someone else from reaching the owner's tokens.
        return client.Owner.EndsWith("/" + userKey, StringComparison.Ordinal)
            ? client
            : throw new InvalidOperationException($"backend session of '{definition.Id}' belongs to another user");
    }

    /// <summary>Closes a user's sessions of one backend (their connection was revoked or their token is no longer valid).</summary>
    public async Task EndUserSessionsAsync(string backendId, string userKey)
    {
        if (_perUser.TryRemove((userKey, backendId), out var shared))
        {
            await shared.DisposeAsync();
        }
        foreach (var session in _sessions.All)
        {
            if (session.Backends.TryGetValue(backendId, out var client) && client.Owner.EndsWith("/" + userKey, StringComparison.Ordinal)
                && session.Backends.TryRemove(new KeyValuePair<string, BackendClient>(backendId, client)))
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>Ends a downstream session (DELETE, expiry): its object closes every backend session it owns.</summary>
    public Task EndSessionAsync(string sessionId) => _sessions.EndAsync(sessionId);

    /// <summary>Downstream sessions currently known on this instance (to send them list_changed).</summary>
    public IReadOnlyCollection<McpServer> DownstreamSessions => [.. _sessions.All.Select(s => s.Server)];

    /// <summary>Remembers a downstream session seen in a request, in case the SDK did not announce it.</summary>
    public void Track(McpServer server, Auth.GatewayUser? user) => _sessions.Track(server, user);

    /// <summary>Closes per-client sessions idle for longer than <paramref name="idle"/>; returns how many.</summary>
    public async Task<int> EvictIdleAsync(TimeSpan idle)
    {
        var cutoff = _time.GetUtcNow() - idle;
        var count = 0;
        foreach (var (key, client) in _perUser.ToArray())
        {
            if (client.LastUsed < cutoff && _perUser.TryRemove(key, out _))
            {
                await client.DisposeAsync();
                count++;
            }
        }
        foreach (var session in _sessions.All)
        {
            foreach (var (backendId, client) in session.Backends.ToArray())
            {
                if (client.LastUsed < cutoff && session.Backends.TryRemove(new KeyValuePair<string, BackendClient>(backendId, client)))
                {
                    await client.DisposeAsync();
                    count++;
                }
            }
        }
        return count;
    }

    // One user may not hold more than sessions.max_stdio_processes_per_user processes: refused, nobody else's is touched.
    // Without auth (Development only) there are no users to tell apart: only the global cap applies.
    private void EnsureUserUnderProcessCap(DownstreamSession session)
    {
        if (session.User is null)
        {
            return;
        }
        var cap = _config.CurrentValue.Sessions.MaxStdioProcessesPerUser;
        var held = _sessions.All.Where(s => SameUser(s, session)).Sum(s => s.Backends.Values.Count(c => c.Definition.Kind == BackendKind.Stdio));
        if (held >= cap)
        {
            throw new McpProtocolException(
                $"Your sessions already hold {held} stdio backend processes, the most one user may have (sessions.max_stdio_processes_per_user = {cap}); end a session you no longer use and try again.",
                McpErrorCode.InvalidRequest);
        }
    }

    private static bool SameUser(DownstreamSession a, DownstreamSession b) => string.Equals(a.User?.Key, b.User?.Key, StringComparison.Ordinal);

    private void EnforceProcessCap(DownstreamSession requester, BackendClient created)
    {
        var cap = _config.CurrentValue.Sessions.MaxStdioProcesses;
        var stdio = _sessions.All.SelectMany(s => s.Backends.Values.Where(c => c.Definition.Kind == BackendKind.Stdio).Select(c => (Session: s, Client: c))).ToList();
        if (stdio.Count <= cap)
        {
            return;
        }
        // Over the cap: close the least recently used per-client processes, the requesting user's own first.
        var candidates = stdio.Where(p => p.Client != created).OrderBy(p => SameUser(p.Session, requester) ? 0 : 1).ThenBy(p => p.Client.LastUsed);
        foreach (var (session, client) in candidates.Take(stdio.Count - cap))
        {
            if (session.Backends.TryRemove(new KeyValuePair<string, BackendClient>(client.Definition.Id, client)))
            {
                LogEvicted(_logger, client.Definition.Id, session.Id);
                _ = client.DisposeAsync().AsTask();
            }
        }
    }

    private BackendClient Create(BackendDefinition definition, string owner, DownstreamLink? link, ClientCapabilities? capabilities)
    {
        definition = Current(definition);
        var logger = _loggerFactory.CreateLogger<BackendClient>();
        return new BackendClient(definition, owner, (d, ct) => _connector.ConnectAsync(d, ClientOptions(d, owner, link, capabilities), ct), _time, logger) { Link = link };
    }

    // A request that looked its backend up just before a reload swapped the definitions must not open a session with the
    // old definition after the reload closed the old sessions.
    private BackendDefinition Current(BackendDefinition definition) => Find(definition.Id) ?? definition;

    private McpClientOptions ClientOptions(BackendDefinition definition, string owner, DownstreamLink? link, ClientCapabilities? capabilities)
    {
        var options = new McpClientOptions
        {
            Handlers = new McpClientHandlers
            {
                NotificationHandlers =
                [
                    new(NotificationMethods.ToolListChangedNotification, (_, _) => RaiseListChanged(definition.Id, "tools", owner, link)),
                    new(NotificationMethods.ResourceListChangedNotification, (_, _) => RaiseListChanged(definition.Id, "resources", owner, link)),
                    new(NotificationMethods.PromptListChangedNotification, (_, _) => RaiseListChanged(definition.Id, "prompts", owner, link)),
                ],
            },
        };
        BackendRelay.Configure(options, definition, _progress, _bridge, link, capabilities);
        return options;
    }

    private ValueTask RaiseListChanged(string backendId, string list, string owner, DownstreamLink? link)
    {
        // A client's own backend session changed what that client sees; the shared session changed what everyone sees.
        if (link?.Session?.SessionId is { } sessionId)
        {
            ClientListChanged?.Invoke(backendId, sessionId);
        }
        else if (owner == SharedOwner)
        {
            ListChanged?.Invoke(backendId, list);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Switches backends off (or on again) at run time: a disabled backend leaves <see cref="Definitions"/> exactly as if
    /// a reload had removed it (its sessions close, <see cref="BackendsChanged"/> fires, clients get list_changed), and
    /// returns when enabled. Reloads keep applying it until it is cleared.
    /// </summary>
    public async Task SetDisabledAsync(IReadOnlySet<string> disabled)
    {
        await _applyGate.WaitAsync();
        try
        {
            Volatile.Write(ref _disabled, disabled.ToHashSet(StringComparer.Ordinal));
            await ApplyDefinitionsAsync(_config.Snapshot.Backends);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>True when an admin switched this backend off at run time.</summary>
    public bool IsDisabled(string backendId) => Volatile.Read(ref _disabled).Contains(backendId);

    /// <summary>Closes and reopens the shared session of a backend (an admin's reconnect); the catalog lists it afresh.</summary>
    public async Task ReconnectAsync(string backendId)
    {
        if (_shared.TryRemove(backendId, out var shared))
        {
            await shared.DisposeAsync();
        }
        ListChanged?.Invoke(backendId, "all");
    }

    private async Task ApplyAsync(ConfigChange change, CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken);
        try
        {
            await ApplyDefinitionsAsync(change.Current.Backends);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>
    /// Applies a reload: backends whose definition is unchanged keep their sessions (and stdio processes); changed and
    /// removed ones are closed (changed ones reconnect with the new definition on next use), added ones appear.
    /// </summary>
    private async Task ApplyDefinitionsAsync(IReadOnlyList<BackendDefinition> configured)
    {
        var previous = Volatile.Read(ref _definitions);
        var disabled = Volatile.Read(ref _disabled);
        var next = new DefinitionSet([.. configured.Where(d => !disabled.Contains(d.Id))]);
        var changes = BackendChanges.Between(previous.InOrder, next.InOrder);
        Volatile.Write(ref _definitions, next);
        if (changes.IsEmpty)
        {
            return;
        }
        var stale = changes.Removed.Concat(changes.Changed).ToHashSet(StringComparer.Ordinal);
        var closing = new List<BackendClient>();
        foreach (var id in stale)
        {
            if (_shared.TryRemove(id, out var shared))
            {
                closing.Add(shared);
            }
        }
        closing.AddRange(RemoveWhere(_perUser, k => stale.Contains(k.Backend)));
        foreach (var session in _sessions.All)
        {
            closing.AddRange(RemoveWhere(session.Backends, stale.Contains));
        }
        closing.AddRange(RemoveWhere(_profiles, k => stale.Contains(k.Backend)));
        await Task.WhenAll(closing.Select(c => c.DisposeAsync().AsTask()));
        LogApplied(_logger, next.InOrder.Count, changes.Added.Count, changes.Removed.Count, changes.Changed.Count, closing.Count);
        BackendsChanged?.Invoke(changes);
    }

    private static List<BackendClient> RemoveWhere<TKey>(ConcurrentDictionary<TKey, BackendClient> sessions, Func<TKey, bool> match)
        where TKey : notnull
    {
        var removed = new List<BackendClient>();
        foreach (var key in sessions.Keys.Where(match).ToList())
        {
            if (sessions.TryRemove(key, out var client))
            {
                removed.Add(client);
            }
        }
        return removed;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        var all = _shared.Values.Concat(_perUser.Values).Concat(_profiles.Values).ToList();
        _shared.Clear();
        _perUser.Clear();
        _profiles.Clear();
        await Task.WhenAll(all.Select(c => c.DisposeAsync().AsTask()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backends updated from configuration: {Count} configured, {Added} added, {Removed} removed, {Changed} changed; {Closed} session(s) closed")]
    private static partial void LogApplied(ILogger logger, int count, int added, int removed, int changed, int closed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the per-client session of backend {BackendId} for session {SessionId}: stdio process cap reached")]
    private static partial void LogEvicted(ILogger logger, string backendId, string sessionId);

    /// <summary>The backends of one snapshot, in configuration order and by id; replaced whole on reload.</summary>
    private sealed class DefinitionSet(IReadOnlyList<BackendDefinition> inOrder)
    {
        public IReadOnlyList<BackendDefinition> InOrder { get; } = inOrder;

        public IReadOnlyDictionary<string, BackendDefinition> ById { get; } = inOrder.ToDictionary(d => d.Id, StringComparer.Ordinal);
    }
}
