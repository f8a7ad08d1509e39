using MasterMcp.Backends;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>A tool as the client sees it, and where it really lives.</summary>
public sealed record CatalogTool(string PublicName, string BackendId, string OriginalName, Tool Tool) : ICatalogEntry;

/// <summary>A prompt as the client sees it, and where it really lives.</summary>
public sealed record CatalogPrompt(string PublicName, string BackendId, string OriginalName, Prompt Prompt) : ICatalogEntry;

/// <summary>A resource as the client sees it, and where it really lives.</summary>
public sealed record CatalogResource(string PublicUri, string BackendId, string OriginalUri, Resource Resource) : ICatalogEntry;

/// <summary>A resource template as the client sees it, and where it really lives.</summary>
public sealed record CatalogTemplate(string PublicUriTemplate, string BackendId, string OriginalUriTemplate, ResourceTemplate Template) : ICatalogEntry;

/// <summary>A name two backends both wanted; the later one was skipped.</summary>
public sealed record CatalogCollision(string Kind, string Name, string KeptBackend, string SkippedBackend);

/// <summary>What one backend contributed to the catalog, or why it contributed nothing.</summary>
public sealed record BackendStatus(string Id, string Transport, string Endpoint, BackendState State, string? LastError, int Tools, int Resources, int ResourceTemplates, int Prompts, bool Required, string? ServerName, string? ProtocolVersion);

/// <summary>The aggregated catalog at one moment: lists in backend order and lookup tables from public names to owners.</summary>
public sealed class CatalogSnapshot
{
    public required IReadOnlyList<CatalogTool> Tools { get; init; }
    public required IReadOnlyList<CatalogPrompt> Prompts { get; init; }
    public required IReadOnlyList<CatalogResource> Resources { get; init; }
    public required IReadOnlyList<CatalogTemplate> Templates { get; init; }
    public required IReadOnlyList<CatalogCollision> Collisions { get; init; }
    public required IReadOnlyList<BackendStatus> Backends { get; init; }

    public required IReadOnlyDictionary<string, CatalogTool> ToolsByName { get; init; }
    public required IReadOnlyDictionary<string, CatalogPrompt> PromptsByName { get; init; }
    public required IReadOnlyDictionary<string, CatalogResource> ResourcesByUri { get; init; }
    public required IReadOnlyDictionary<string, CatalogTemplate> TemplatesByUri { get; init; }

    /// <summary>The tool with this public name, or null.</summary>
    public CatalogTool? FindTool(string name) => ToolsByName.GetValueOrDefault(name);

    /// <summary>The prompt with this public name, or null.</summary>
    public CatalogPrompt? FindPrompt(string name) => PromptsByName.GetValueOrDefault(name);

    /// <summary>The listed resource with this public URI, or null.</summary>
    public CatalogResource? FindResource(string uri) => ResourcesByUri.GetValueOrDefault(uri);

    /// <summary>The template with this public URI template, or null.</summary>
    public CatalogTemplate? FindTemplate(string uriTemplate) => TemplatesByUri.GetValueOrDefault(uriTemplate);
}
