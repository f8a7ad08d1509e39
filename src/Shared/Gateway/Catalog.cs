using System.Collections.Concurrent;
using MasterMcp.Backends;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>
/// The aggregated catalog of every backend. Lists fan out in parallel, each backend bounded by its own timeout; results are
/// cached per backend until the backend says a list changed or the configuration changes. A backend that fails or is slow
/// is left out (and reported) instead of failing or stalling the list; failures are retried after a short pause.
/// </summary>
public sealed partial class Catalog
{
    private static readonly TimeSpan FailureCacheTime = TimeSpan.FromSeconds(2);

    private readonly BackendRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger<Catalog> _logger;
    // Listings per (owner, backend): owner "shared" for the catalog everyone sees, or a client session id (or capability
    // profile) for clients whose own backend sessions may list more (tools registered only for sampling/elicitation/roots).
    private readonly ConcurrentDictionary<(string Owner, string Backend), Lazy<Task<BackendListing>>> _listings = new();
    private readonly ConcurrentDictionary<string, CatalogSnapshot> _snapshots = new(StringComparer.Ordinal);
    private long _version;

    private readonly Credentials.UserBackendAccess _access;

    public Catalog(BackendRegistry registry, DownstreamSessions sessions, Credentials.UserBackendAccess access, TimeProvider time, ILogger<Catalog> logger)
    {
        _registry = registry;
        _access = access;
        _time = time;
        _logger = logger;
        registry.ListChanged += (backendId, _) => Invalidate(backendId);
        registry.BackendsChanged += changes => Invalidate([.. changes.All]);
        registry.ClientListChanged += (backendId, sessionId) => InvalidateOwner(sessionId, backendId);
        sessions.Ended += Forget;
        access.UserChanged += (userKey, backendId) =>
        {
            InvalidateUser(backendId, userKey);
            Interlocked.Increment(ref _version);
        };
    }

    /// <summary>Client sessions with listings or snapshots of their own cached here (dropped when the session ends).</summary>
    public int SessionOwnerCount =>
        _listings.Keys.Select(k => k.Owner).Concat(_snapshots.Keys).Where(o => o != BackendRegistry.SharedOwner && !o.StartsWith("profile:", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Raised after the catalog was invalidated because something changed (clients should get list_changed).</summary>
    public event Action? Changed;

    /// <summary>Raised after one client's own catalog changed (its session id): only that client should get list_changed.</summary>
    public event Action<string>? ClientChanged;

    /// <summary>The catalog is the same but what sessions may see of it changed (policies, virtual servers): tell every client.</summary>
    public void NotifyViewsChanged() => Changed?.Invoke();

    /// <summary>Drops the cached listing of one backend (or all, for null), for every owner.</summary>
    public void Invalidate(string? backendId) => InvalidateWhere(id => backendId is null || id == backendId);

    /// <summary>Drops the cached listings of these backends for every owner, then tells clients once; other backends keep theirs.</summary>
    public void Invalidate(IReadOnlyCollection<string> backendIds) => InvalidateWhere(backendIds.Contains);

    private void InvalidateWhere(Func<string, bool> backend)
    {
        foreach (var key in _listings.Keys.Where(k => backend(k.Backend)).ToList())
        {
            _listings.TryRemove(key, out _);
        }
        foreach (var key in _userListings.Keys.Where(k => backend(k.Backend)).ToList())
        {
            _userListings.TryRemove(key, out _);
        }
        Interlocked.Increment(ref _version);
        _snapshots.Clear();
        Changed?.Invoke();
    }

    /// <summary>
    /// Forgets failed listings so the next read lists those backends again at once; used before answering "unknown name"
    /// while some backend is missing from the catalog (it may own the name and be back). Returns false when nothing failed.
    /// </summary>
    public bool ForgetFailures()
    {
        var forgot = false;
        foreach (var (key, lazy) in _listings.ToArray())
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompleted && (!lazy.Value.IsCompletedSuccessfully || lazy.Value.Result.Error is not null))
            {
                forgot |= _listings.TryRemove(key, out _);
            }
        }
        if (forgot)
        {
            Interlocked.Increment(ref _version);
            _snapshots.Clear();
        }
        return forgot;
    }

    /// <summary>Drops one client's cached listing of one backend (its own backend session said a list changed).</summary>
    public void InvalidateOwner(string owner, string backendId)
    {
        _listings.TryRemove((owner, backendId), out _);
        Interlocked.Increment(ref _version);
        _snapshots.TryRemove(owner, out _);
        ClientChanged?.Invoke(owner);
    }

    private void Forget(string owner)
    {
        foreach (var key in _listings.Keys.Where(k => k.Owner == owner).ToList())
        {
            _listings.TryRemove(key, out _);
        }
        _snapshots.TryRemove(owner, out _);
    }

    /// <summary>The catalog everyone sees (listed through the shared backend sessions).</summary>
    public Task<CatalogSnapshot> GetAsync(CancellationToken cancellationToken) => GetAsync(null, cancellationToken);

    /// <summary>
    /// The catalog <paramref name="client"/> sees: the shared one, or — for a client that declared sampling, elicitation or
    /// roots — one listed through its own backend sessions, so tools a backend registers only for such clients appear.
    /// </summary>
    public async Task<CatalogSnapshot> GetAsync(ModelContextProtocol.Server.McpServer? client, CancellationToken cancellationToken)
    {
        var owner = BackendRegistry.ListingOwner(client);
        if (_snapshots.TryGetValue(owner, out var cached) && !HasExpiredFailures(owner, cached))
        {
            if (Observability.GatewayMetrics.ListCacheLookups.Enabled)
            {
                // Every backend's listing in this snapshot was answered from the cache.
                foreach (var definition in _registry.Definitions)
                {
                    if (!definition.UsesUserCredentials)
                    {
                        Observability.GatewayMetrics.RecordListLookup(definition.Id, hit: true);
                    }
                }
            }
            return cached;
        }
        var version = Interlocked.Read(ref _version);
        var definitions = SharedDefinitions();
        var listings = await Task.WhenAll(definitions.Select(d => ListingAsync(owner, d, client, cancellationToken)));
        var snapshot = Build(definitions, listings);
        if (Interlocked.Read(ref _version) == version)
        {
            _snapshots[owner] = snapshot;
        }
        return snapshot;
    }

    private bool HasExpiredFailures(string owner, CatalogSnapshot snapshot)
    {
        var now = _time.GetUtcNow();
        foreach (var (key, lazy) in _listings)
        {
            if (key.Owner == owner && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result is { Error: not null } failed && now - failed.At > FailureCacheTime)
            {
                return true;
            }
        }
        return snapshot.Backends.Count != SharedDefinitions().Count;
    }

    /// <summary>Backends listed once for everyone; those with per-user credentials are listed per user (Catalog.PerUser.cs).</summary>
    private List<BackendDefinition> SharedDefinitions() => [.. _registry.Definitions.Where(d => !d.UsesUserCredentials)];

    private async Task<BackendListing> ListingAsync(string owner, BackendDefinition definition, ModelContextProtocol.Server.McpServer? client, CancellationToken cancellationToken)
    {
        // Backends shared by design list the same for everyone.
        var key = (definition.SessionMode == BackendSessionMode.Shared ? BackendRegistry.SharedOwner : owner, definition.Id);
        while (true)
        {
            var fetched = false;
            var lazy = _listings.GetOrAdd(key, k =>
            {
                fetched = true;
                return new Lazy<Task<BackendListing>>(() => FetchAsync(definition, k.Item1 == BackendRegistry.SharedOwner ? _registry.Shared(definition) : _registry.ForListing(definition, client)));
            });
            Observability.GatewayMetrics.RecordListLookup(definition.Id, hit: !fetched);
            var listing = await lazy.Value.WaitAsync(cancellationToken);
            if (listing.Error is not null && _time.GetUtcNow() - listing.At > FailureCacheTime)
            {
                _listings.TryRemove(new KeyValuePair<(string, string), Lazy<Task<BackendListing>>>(key, lazy));
                continue;
            }
            return listing;
        }
    }

    private async Task<BackendListing> FetchAsync(BackendDefinition definition, BackendClient session)
    {
        using var timeout = new CancellationTokenSource(definition.Timeout);
        try
        {
            var client = await session.GetAsync(timeout.Token);
            var capabilities = client.ServerCapabilities;
            var tools = capabilities.Tools is not null ? ListAsync(client.ListToolsAsync(cancellationToken: timeout.Token), t => t.ProtocolTool) : Task.FromResult<IReadOnlyList<Tool>>([]);
            var prompts = capabilities.Prompts is not null ? ListAsync(client.ListPromptsAsync(cancellationToken: timeout.Token), p => p.ProtocolPrompt) : Task.FromResult<IReadOnlyList<Prompt>>([]);
            var resources = capabilities.Resources is not null ? ListAsync(client.ListResourcesAsync(cancellationToken: timeout.Token), r => r.ProtocolResource) : Task.FromResult<IReadOnlyList<Resource>>([]);
            var templates = capabilities.Resources is not null ? ListAsync(client.ListResourceTemplatesAsync(cancellationToken: timeout.Token), r => r.ProtocolResourceTemplate) : Task.FromResult<IReadOnlyList<ResourceTemplate>>([]);
            await Task.WhenAll(tools, prompts, resources, templates);
            return new BackendListing(tools.Result, prompts.Result, resources.Result, templates.Result, null, _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reason = ex is OperationCanceledException ? $"did not list within {definition.Timeout.TotalMilliseconds:0} ms" : BackendClient.Describe(ex);
            LogListingFailed(_logger, definition.Id, reason);
            return BackendListing.Failed(reason, _time.GetUtcNow());
        }
    }

    private static async Task<IReadOnlyList<TOut>> ListAsync<TIn, TOut>(ValueTask<IList<TIn>> list, Func<TIn, TOut> select) =>
        [.. (await list).Select(select)];

    private CatalogSnapshot Build(IReadOnlyList<BackendDefinition> definitions, BackendListing[] listings)
    {
        var tools = new List<CatalogTool>();
        var prompts = new List<CatalogPrompt>();
        var resources = new List<CatalogResource>();
        var templates = new List<CatalogTemplate>();
        var collisions = new List<CatalogCollision>();
        var toolsByName = new Dictionary<string, CatalogTool>(StringComparer.Ordinal);
        var promptsByName = new Dictionary<string, CatalogPrompt>(StringComparer.Ordinal);
        var resourcesByUri = new Dictionary<string, CatalogResource>(StringComparer.Ordinal);
        var templatesByUri = new Dictionary<string, CatalogTemplate>(StringComparer.Ordinal);
        var statuses = new List<BackendStatus>();

        for (var i = 0; i < definitions.Count; i++)
        {
            var d = definitions[i];
            var listing = listings[i];
            Add("tool", d, listing.Tools, t => t.Name, name => PublicNames.For(d.Prefix, name), "name",
                (name, t, item) => new CatalogTool(name, d.Id, t.Name, item), toolsByName, tools, collisions);
            Add("prompt", d, listing.Prompts, p => p.Name, name => PublicNames.For(d.Prefix, name), "name",
                (name, p, item) => new CatalogPrompt(name, d.Id, p.Name, item), promptsByName, prompts, collisions);
            Add("resource", d, listing.Resources, r => r.Uri, uri => ResourceUris.ToPublic(d.Prefix, uri), "uri",
                (uri, r, item) => new CatalogResource(uri, d.Id, r.Uri, item), resourcesByUri, resources, collisions);
            Add("resource_template", d, listing.Templates, t => t.UriTemplate, uri => ResourceUris.ToPublic(d.Prefix, uri), "uriTemplate",
                (uri, t, item) => new CatalogTemplate(uri, d.Id, t.UriTemplate, item), templatesByUri, templates, collisions);
            var shared = _registry.Shared(d);
            var info = shared.State == BackendState.Connected ? SafeInfo(shared) : default;
            statuses.Add(new BackendStatus(
                d.Id,
                d.Kind == BackendKind.Http ? d.Transport : "stdio",
                d.Endpoint,
                listing.Error is null ? BackendState.Connected : BackendState.Failed,
                listing.Error ?? shared.LastError,
                listing.Tools.Count, listing.Resources.Count, listing.Templates.Count, listing.Prompts.Count,
                d.Required, info.Name, info.Version));
        }
        return new CatalogSnapshot
        {
            Tools = tools,
            Prompts = prompts,
            Resources = resources,
            Templates = templates,
            Collisions = collisions,
            Backends = statuses,
            ToolsByName = toolsByName,
            PromptsByName = promptsByName,
            ResourcesByUri = resourcesByUri,
            TemplatesByUri = templatesByUri,
        };
    }

    /// <summary>
    /// Adds one backend's items of one kind under their public names (renamed copies where the name changes); a name
    /// already taken by an earlier backend is skipped and reported as a collision.
    /// </summary>
    private void Add<TItem, TEntry>(string kind, BackendDefinition definition, IReadOnlyList<TItem> items, Func<TItem, string> originalName,
        Func<string, string> publicName, string nameProperty, Func<string, TItem, TItem, TEntry> entry,
        Dictionary<string, TEntry> byName, List<TEntry> list, List<CatalogCollision> collisions)
        where TEntry : ICatalogEntry
    {
        foreach (var item in items)
        {
            var original = originalName(item);
            var name = publicName(original);
            if (byName.TryGetValue(name, out var existing))
            {
                collisions.Add(Collide(kind, name, existing.BackendId, definition.Id));
                continue;
            }
            var added = entry(name, item, name == original ? item : ProtocolJson.With(item, nameProperty, name));
            byName[name] = added;
            list.Add(added);
        }
    }

    private static (string? Name, string? Version) SafeInfo(BackendClient client)
    {
        var task = client.GetAsync(CancellationToken.None);
        return task.IsCompletedSuccessfully ? (task.Result.ServerInfo?.Name, task.Result.NegotiatedProtocolVersion) : default;
    }

    private CatalogCollision Collide(string kind, string name, string kept, string skipped)
    {
        LogCollision(_logger, kind, name, kept, skipped);
        return new CatalogCollision(kind, name, kept, skipped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {BackendId} left out of the catalog: {Reason}")]
    private static partial void LogListingFailed(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Name collision: {Kind} '{Name}' of backend {Skipped} skipped; backend {Kept} already has it")]
    private static partial void LogCollision(ILogger logger, string kind, string name, string kept, string skipped);
}
