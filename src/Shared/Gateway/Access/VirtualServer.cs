using MasterMcp.Configuration;

namespace MasterMcp.Gateway.Access;

/// <summary>A virtual server as it runs: <c>/mcp/{name}</c>'s curated slice of the catalog and what its initialize says.</summary>
public sealed class VirtualServer
{
    private VirtualServer(string name, string title, string? instructions, GlobList include, GlobList exclude, ToolExposure toolExposure, IReadOnlyList<string>? audiences)
    {
        Name = name;
        Title = title;
        Instructions = instructions;
        Include = include;
        Exclude = exclude;
        ToolExposure = toolExposure;
        Audiences = audiences;
    }

    /// <summary>The path segment of <c>/mcp/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>serverInfo.title in initialize.</summary>
    public string Title { get; }

    /// <summary>instructions in initialize, if any.</summary>
    public string? Instructions { get; }

    public GlobList Include { get; }

    public GlobList Exclude { get; }

    /// <summary>How tools are listed here (search mode is served by the search component).</summary>
    public ToolExposure ToolExposure { get; }

    /// <summary>Token audiences configured for this virtual server (jwt mode), or null for the default.</summary>
    public IReadOnlyList<string>? Audiences { get; }

    /// <summary>From its configuration.</summary>
    public static VirtualServer From(VirtualServerOptions options) => new(
        options.Name,
        string.IsNullOrEmpty(options.Title) ? options.Name : options.Title,
        string.IsNullOrEmpty(options.Instructions) ? null : options.Instructions,
        new GlobList(options.Include),
        new GlobList(options.Exclude),
        options.ToolExposure,
        options.Audiences);

    /// <summary>What a session keeps seeing when its virtual server was removed by a reload: nothing.</summary>
    public static VirtualServer Removed(string name) => new(name, name, null, GlobList.Empty, GlobList.Empty, ToolExposure.All, null);

    /// <summary>
    /// True when the item is in this virtual server: an include glob matches its public name (or URI) or its backend id,
    /// and no exclude glob does.
    /// </summary>
    public bool Shows(string publicName, string backendId) =>
        (Include.Matches(publicName) || Include.Matches(backendId)) && !(Exclude.Matches(publicName) || Exclude.Matches(backendId));
}
