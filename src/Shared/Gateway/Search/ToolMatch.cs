namespace MasterMcp.Gateway.Search;

/// <summary>One search hit: the tool and its BM25 score (higher is better).</summary>
public sealed record ToolMatch(CatalogTool Tool, double Score);
