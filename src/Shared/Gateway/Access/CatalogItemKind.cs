namespace MasterMcp.Gateway.Access;

/// <summary>The kinds of catalog items policies and virtual servers select (resource templates count as resources).</summary>
public enum CatalogItemKind
{
    Tool,
    Prompt,
    Resource,
}
