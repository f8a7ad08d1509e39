using BenchmarkDotNet.Attributes;
using MasterMcp.Gateway;
using ModelContextProtocol.Protocol;

namespace Micro;

/// <summary>Public names and the catalog lookup a tools/call does first (PublicNames, CatalogSnapshot, ResourceUris).</summary>
[MemoryDiagnoser]
public class NameResolution
{
    private CatalogSnapshot _catalog = null!;
    private string _hit = "";

    [Params(10, 1000)]
    public int Tools { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tools = Enumerable.Range(0, Tools)
            .Select(i => new CatalogTool(PublicNames.For($"server{i % 10}", $"tool_{i}"), $"server{i % 10}", $"tool_{i}", new Tool { Name = $"tool_{i}" }))
            .ToList();
        _catalog = new CatalogSnapshot
        {
            Tools = tools,
            Prompts = [],
            Resources = [],
            Templates = [],
            Collisions = [],
            Backends = [],
            ToolsByName = tools.ToDictionary(t => t.PublicName, StringComparer.Ordinal),
            PromptsByName = new Dictionary<string, CatalogPrompt>(),
            ResourcesByUri = new Dictionary<string, CatalogResource>(),
            TemplatesByUri = new Dictionary<string, CatalogTemplate>(),
        };
        _hit = tools[^1].PublicName;
    }

    /// <summary>The lookup of a tools/call's public name (a dictionary hit).</summary>
    [Benchmark(Baseline = true)]
    public CatalogTool? FindTool() => _catalog.FindTool(_hit);

    /// <summary>Building a public name that is already valid (regex check + concatenation), done per tool when a catalog is built.</summary>
    [Benchmark]
    public string PublicNameValid() => PublicNames.For("github", "create_issue");

    /// <summary>A name that must be sanitized and hash-truncated.</summary>
    [Benchmark]
    public string PublicNameSanitized() => PublicNames.For("github", "a tool name with spaces and a length well past what many clients accept.v2");

    /// <summary>Splitting a rewritten resource URI (resources/read).</summary>
    [Benchmark]
    public bool ResourceUriParse() => ResourceUris.TryParse("mcp://echo/bench://hello", out _, out _);
}
