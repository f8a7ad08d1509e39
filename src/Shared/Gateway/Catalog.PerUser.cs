using System.Collections.Concurrent;
using System.Text.Json;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Credentials;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Gateway;

/// <summary>
/// Per-user part of the catalog: backends with per-user credentials are listed through the user's own session and cached
/// per (backend, user) — never from another user's listing. Before the user has connected, such a backend shows one tool,
/// <c>{prefix}__connect</c>; calling it (or any name of the backend) starts the URL elicitation.
/// </summary>
public sealed partial class Catalog
{
    /// <summary>The name (before the prefix) of the placeholder tool of a backend the user has not connected yet.</summary>
    public const string ConnectToolName = "connect";

    private readonly ConcurrentDictionary<(string Backend, string User), Lazy<Task<BackendListing>>> _userListings = new();

    /// <summary>The catalog as the user of <paramref name="context"/> sees it: shared backends plus their own per-user backends.</summary>
    public async Task<CatalogSnapshot> GetAsync<TParams>(RequestContext<TParams> context, CancellationToken cancellationToken)
    {
        var shared = await GetAsync(context.Server, cancellationToken);
        var definitions = _registry.Definitions;
        if (!definitions.Any(d => d.UsesUserCredentials))
        {
            return shared;
        }
        var user = GatewayUser.FromPrincipal(context.User);
        if (user is not null)
        {
            _access.Track(user, context.Server);
        }
        var owner = BackendRegistry.ListingOwner(context.Server);
        var listings = await Task.WhenAll(definitions.Select(d => d.UsesUserCredentials ? UserListingAsync(d, user, context.Server, cancellationToken) : ListingAsync(owner, d, context.Server, cancellationToken)));
        return Build(definitions, listings);
    }

    /// <summary>
    /// The per-user backend a public name belongs to by its prefix, for names not in the user's catalog (they have not
    /// connected, so the backend's real names are not listed yet); null when none matches.
    /// </summary>
    public BackendDefinition? FindUserBackendByPrefix(string publicName) =>
        _registry.Definitions.FirstOrDefault(d => d.UsesUserCredentials && d.Prefix.Length > 0 && publicName.StartsWith(d.Prefix + "__", StringComparison.Ordinal));

    private void InvalidateUser(string? backendId, string? userKey)
    {
        foreach (var key in _userListings.Keys)
        {
            if ((backendId is null || key.Backend == backendId) && (userKey is null || key.User == userKey))
            {
                _userListings.TryRemove(key, out _);
            }
        }
    }

    private async Task<BackendListing> UserListingAsync(BackendDefinition definition, GatewayUser? user, McpServer server, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return BackendListing.Failed("needs a signed-in user", _time.GetUtcNow());
        }
        if (!await _access.IsConnectedAsync(user, definition, cancellationToken))
        {
            return ConnectListing(definition);
        }
        var key = (definition.Id, UserBackendAccess.IdentityOf(user).StorageKey);
        var lazy = _userListings.GetOrAdd(key, _ => new Lazy<Task<BackendListing>>(() => FetchForUserAsync(definition, user, server)));
        var listing = await lazy.Value.WaitAsync(cancellationToken);
        if (listing.Error is not null)
        {
            _userListings.TryRemove(new KeyValuePair<(string, string), Lazy<Task<BackendListing>>>(key, lazy));
            return listing.Error == NotConnected ? ConnectListing(definition) : listing;
        }
        return listing;
    }

    private const string NotConnected = "not connected";

    private async Task<BackendListing> FetchForUserAsync(BackendDefinition definition, GatewayUser user, McpServer server)
    {
        using var timeout = new CancellationTokenSource(definition.Timeout);
        try
        {
            var session = await _access.SessionAsync(definition, server, user, timeout.Token);
            var client = await session.GetAsync(timeout.Token);
            var capabilities = client.ServerCapabilities;
            var tools = capabilities.Tools is not null ? List(client.ListToolsAsync(cancellationToken: timeout.Token), t => t.ProtocolTool) : Task.FromResult<IReadOnlyList<Tool>>([]);
            var prompts = capabilities.Prompts is not null ? List(client.ListPromptsAsync(cancellationToken: timeout.Token), p => p.ProtocolPrompt) : Task.FromResult<IReadOnlyList<Prompt>>([]);
            var resources = capabilities.Resources is not null ? List(client.ListResourcesAsync(cancellationToken: timeout.Token), r => r.ProtocolResource) : Task.FromResult<IReadOnlyList<Resource>>([]);
            var templates = capabilities.Resources is not null ? List(client.ListResourceTemplatesAsync(cancellationToken: timeout.Token), r => r.ProtocolResourceTemplate) : Task.FromResult<IReadOnlyList<ResourceTemplate>>([]);
            await Task.WhenAll(tools, prompts, resources, templates);
            return new BackendListing(tools.Result, prompts.Result, resources.Result, templates.Result, null, _time.GetUtcNow());
        }
        catch (Exception ex) when (ConsentRequiredException.Find(ex) is not null)
        {
            return BackendListing.Failed(NotConnected, _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reason = ex is OperationCanceledException ? $"did not list within {definition.Timeout.TotalMilliseconds:0} ms" : BackendClient.Describe(ex);
            LogListingFailed(_logger, definition.Id, reason);
            return BackendListing.Failed(reason, _time.GetUtcNow());
        }
    }

    private static async Task<IReadOnlyList<TOut>> List<TIn, TOut>(ValueTask<IList<TIn>> list, Func<TIn, TOut> select) =>
        [.. (await list).Select(select)];

    private BackendListing ConnectListing(BackendDefinition definition)
    {
        var enables = definition.AuthConfig.Description ?? $"the tools of '{definition.Id}' with your own account";
        var tool = new Tool
        {
            Name = ConnectToolName,
            Title = $"Connect {definition.Id}",
            Description = $"Connect your account for '{definition.Id}'. Connecting enables {enables}. Calling this tool gives you a sign-in link; afterwards the backend's tools appear.",
            InputSchema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone(),
        };
        return new BackendListing([tool], [], [], [], null, _time.GetUtcNow());
    }
}
