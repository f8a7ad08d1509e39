using System.Runtime.CompilerServices;
using System.Text.Json;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Gateway.Access;

/// <summary>
/// Who sees what: the compiled policies and virtual servers of the configuration in force, the virtual server each MCP
/// session was opened on, and <see cref="ViewAsync{TParams}"/> — the one place a request's <see cref="CatalogView"/> is made.
/// A reload that changes policies or virtual servers tells connected clients their lists changed.
/// </summary>
public sealed partial class CatalogAccess : IDisposable
{
    private const string ItemKey = "MasterMcp.VirtualServer";

    private readonly Catalog _catalog;
    private readonly ILogger<CatalogAccess> _logger;
    private readonly IDisposable _subscription;
    // The per-session server options the SDK creates (ConfigureSessionOptions) name the virtual server of that session;
    // handlers reach them through RequestContext.Server.ServerOptions, for sessions and stateless requests alike.
    private readonly ConditionalWeakTable<McpServerOptions, string> _bindings = [];
    private State _state;

    public CatalogAccess(GatewayConfigMonitor config, Catalog catalog, ILogger<CatalogAccess> logger)
    {
        _catalog = catalog;
        _logger = logger;
        _state = State.From(config.CurrentValue);
        _subscription = config.Subscribe(ApplyAsync);
    }

    /// <summary>The policies in force.</summary>
    public AccessPolicy Policy => Volatile.Read(ref _state).Policy;

    /// <summary>The virtual server with this name, or null.</summary>
    public VirtualServer? Find(string name) => Volatile.Read(ref _state).Servers.GetValueOrDefault(name);

    /// <summary>Marks the request as addressed to <paramref name="server"/> (null: /mcp, the whole catalog).</summary>
    public static void SetRequestVirtualServer(HttpContext context, VirtualServer? server)
    {
        if (server is null)
        {
            context.Items.Remove(ItemKey);
        }
        else
        {
            context.Items[ItemKey] = server;
        }
    }

    /// <summary>The virtual server the request is addressed to (set by the pipeline for /mcp/{name}), or null for /mcp.</summary>
    public static VirtualServer? RequestVirtualServer(HttpContext context) => context.Items.TryGetValue(ItemKey, out var value) ? value as VirtualServer : null;

    /// <summary>
    /// Per-session server options (the SDK's ConfigureSessionOptions): a session opened on a virtual server introduces
    /// itself with that server's title and instructions, and remembers which virtual server it belongs to.
    /// </summary>
    public void ConfigureSession(HttpContext context, McpServerOptions options)
    {
        if (RequestVirtualServer(context) is not { } server)
        {
            return;
        }
        var info = options.ServerInfo;
        options.ServerInfo = new Implementation { Name = info?.Name ?? Hosting.ProductInfo.Name, Version = info?.Version ?? Hosting.ProductInfo.Version, Title = server.Title };
        options.ServerInstructions = server.Instructions;
        _bindings.AddOrUpdate(options, server.Name);
    }

    /// <summary>The name of the virtual server <paramref name="server"/>'s session was opened on, or null (/mcp).</summary>
    public string? VirtualServerNameOf(McpServer server) => _bindings.TryGetValue(server.ServerOptions, out var name) ? name : null;

    /// <summary>The tool exposure of the virtual server <paramref name="server"/>'s session was opened on, or null (/mcp: the gateway's).</summary>
    public ToolExposure? ToolExposureOf(McpServer server) =>
        VirtualServerNameOf(server) is { } name ? Find(name)?.ToolExposure ?? ToolExposure.All : null;

    /// <summary>The items the session of <paramref name="context"/> may see: the catalog, its user's policies, its virtual server.</summary>
    public async Task<CatalogView> ViewAsync<TParams>(RequestContext<TParams> context, CancellationToken cancellationToken)
    {
        var snapshot = await _catalog.GetAsync(context, cancellationToken);
        var state = Volatile.Read(ref _state);
        var name = VirtualServerNameOf(context.Server);
        var server = name is null ? null : state.Servers.GetValueOrDefault(name) ?? VirtualServer.Removed(name);
        return new CatalogView(snapshot, state.Policy.For(GatewayUser.FromPrincipal(context.User)), server);
    }

    /// <summary>The view of <paramref name="user"/> on the whole catalog (/mcp), for callers outside an MCP request (/capabilities).</summary>
    public CatalogView ViewFor(CatalogSnapshot snapshot, GatewayUser? user) => new(snapshot, Policy.For(user), null);

    private Task ApplyAsync(ConfigChange change, CancellationToken cancellationToken)
    {
        var next = State.From(change.Current.Config.Options);
        var previous = Interlocked.Exchange(ref _state, next);
        if (previous.Fingerprint != next.Fingerprint)
        {
            LogAccessChanged(_logger, change.Current.Config.Options.Policies.Count, next.Servers.Count);
            _catalog.NotifyViewsChanged();
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _subscription.Dispose();

    private sealed record State(AccessPolicy Policy, IReadOnlyDictionary<string, VirtualServer> Servers, string Fingerprint)
    {
        public static State From(GatewayOptions options)
        {
            // Everything that decides who sees what, as JSON: a reload that leaves it alone does not disturb clients.
            var access = new GatewayOptions
            {
                Policies = options.Policies,
                PolicyDefault = options.PolicyDefault,
                VirtualServers = options.VirtualServers,
                Servers = [.. options.Servers.Where(s => s.RequiredScopes is { Count: > 0 }).Select(s => new ServerOptions { Id = s.Id, RequiredScopes = s.RequiredScopes })],
            };
            return new State(
                AccessPolicy.From(options),
                options.VirtualServers.ToDictionary(v => v.Name, VirtualServer.From, StringComparer.Ordinal),
                JsonSerializer.Serialize(access, ConfigurationJsonContext.Default.GatewayOptions));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access rules changed ({Policies} policies, {VirtualServers} virtual servers); clients are told their lists changed")]
    private static partial void LogAccessChanged(ILogger logger, int policies, int virtualServers);
}
