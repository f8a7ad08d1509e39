namespace MasterMcp.Gateway.Access;

/// <summary>
/// The items one session may see: the aggregated catalog filtered by the user's policies and by the session's virtual
/// server. Lists and routing both go through it, so an item absent from a list is also unknown to calls, reads and gets
/// (search mode sits on top of the same view).
/// </summary>
public sealed class CatalogView(CatalogSnapshot catalog, AccessPolicy.UserAccess access, VirtualServer? virtualServer)
{
    private readonly bool _unfiltered = access.AllowsEverything && virtualServer is null;

    /// <summary>True when the view may hide something (policies deny something to this user, or a virtual server curates).</summary>
    public bool IsFiltered => !_unfiltered;

    /// <summary>The whole catalog the view filters (for names that resolve without being listed, checked with <see cref="Allows"/>).</summary>
    public CatalogSnapshot Catalog => catalog;

    /// <summary>The virtual server of the session, or null on /mcp.</summary>
    public VirtualServer? VirtualServer => virtualServer;

    public IReadOnlyList<CatalogTool> Tools => _unfiltered ? catalog.Tools : [.. catalog.Tools.Where(t => Allows(CatalogItemKind.Tool, t.PublicName, t.BackendId))];

    public IReadOnlyList<CatalogPrompt> Prompts => _unfiltered ? catalog.Prompts : [.. catalog.Prompts.Where(p => Allows(CatalogItemKind.Prompt, p.PublicName, p.BackendId))];

    public IReadOnlyList<CatalogResource> Resources => _unfiltered ? catalog.Resources : [.. catalog.Resources.Where(r => Allows(CatalogItemKind.Resource, r.PublicUri, r.BackendId))];

    public IReadOnlyList<CatalogTemplate> Templates => _unfiltered ? catalog.Templates : [.. catalog.Templates.Where(t => Allows(CatalogItemKind.Resource, t.PublicUriTemplate, t.BackendId))];

    /// <summary>True when this session may see and use the item (its policies allow it and its virtual server shows it).</summary>
    public bool Allows(CatalogItemKind kind, string publicName, string backendId) =>
        _unfiltered || (access.Allows(kind, publicName, backendId) && (virtualServer is null || virtualServer.Shows(publicName, backendId)));

    /// <summary>The visible tool with this public name, or null (hidden tools are as unknown as names that do not exist).</summary>
    public CatalogTool? FindTool(string name) => catalog.FindTool(name) is { } t && Allows(CatalogItemKind.Tool, t.PublicName, t.BackendId) ? t : null;

    /// <summary>The visible prompt with this public name, or null.</summary>
    public CatalogPrompt? FindPrompt(string name) => catalog.FindPrompt(name) is { } p && Allows(CatalogItemKind.Prompt, p.PublicName, p.BackendId) ? p : null;

    /// <summary>The visible listed resource with this public URI, or null.</summary>
    public CatalogResource? FindResource(string uri) => catalog.FindResource(uri) is { } r && Allows(CatalogItemKind.Resource, r.PublicUri, r.BackendId) ? r : null;

    /// <summary>The visible template with this public URI template, or null.</summary>
    public CatalogTemplate? FindTemplate(string uriTemplate) => catalog.FindTemplate(uriTemplate) is { } t && Allows(CatalogItemKind.Resource, t.PublicUriTemplate, t.BackendId) ? t : null;
}
