namespace MasterMcp.Configuration;

/// <summary>
/// One rule of <c>policies[]</c>: whom it matches (<see cref="Match"/>; no match block matches everyone) and which items
/// it allows or denies, by glob over backend ids, public tool and prompt names and public resource URIs.
/// </summary>
public sealed record PolicyOptions
{
    /// <summary>A label for logs and docs; not used for matching.</summary>
    public string? Name { get; set; }

    /// <summary>"allow" or "deny".</summary>
    public string Effect { get; set; } = "allow";

    public PolicyMatchOptions? Match { get; set; }

    /// <summary>Backend ids (globs): the rule covers every item of these backends.</summary>
    public IReadOnlyList<string>? Backends { get; set; }

    /// <summary>Public tool names (globs, e.g. <c>github__*</c>, <c>*__delete_*</c>).</summary>
    public IReadOnlyList<string>? Tools { get; set; }

    /// <summary>Public resource URIs and resource template URIs (globs).</summary>
    public IReadOnlyList<string>? Resources { get; set; }

    /// <summary>Public prompt names (globs).</summary>
    public IReadOnlyList<string>? Prompts { get; set; }
}

/// <summary>Whom a policy applies to: every criterion given must hold (a user with no token matches only rules without criteria).</summary>
public sealed record PolicyMatchOptions
{
    /// <summary>The user's subject (the token's <c>sub</c>) is one of these (globs).</summary>
    public IReadOnlyList<string>? Subjects { get; set; }

    /// <summary>For each claim type, the token carries that claim with at least one of these values (e.g. <c>groups</c>: [<c>platform</c>]).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Claims { get; set; }

    /// <summary>The token holds every one of these scopes.</summary>
    public IReadOnlyList<string>? Scopes { get; set; }
}

/// <summary>
/// One entry of <c>virtual_servers[]</c>: a curated view of the catalog served at <c>/mcp/{name}</c>, with its own
/// serverInfo title, instructions and protected-resource metadata. Policies still apply on top.
/// </summary>
public sealed record VirtualServerOptions
{
    /// <summary>The path segment: <c>/mcp/{name}</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>serverInfo.title in initialize (default: the name).</summary>
    public string? Title { get; set; }

    /// <summary>instructions in initialize.</summary>
    public string? Instructions { get; set; }

    /// <summary>Globs over backend ids, public tool/prompt names and public resource URIs; an item shows when one matches.</summary>
    public IReadOnlyList<string> Include { get; set; } = [];

    /// <summary>Globs like <see cref="Include"/>; an item matching one is left out even when included.</summary>
    public IReadOnlyList<string> Exclude { get; set; } = [];

    /// <summary>"all" (every visible tool is listed) or "search" (two tools, search_tools and call_tool).</summary>
    public ToolExposure ToolExposure { get; set; } = ToolExposure.All;

    /// <summary>jwt mode: token audiences accepted at this virtual server (default: its own resource URL and the gateway's audience).</summary>
    public IReadOnlyList<string>? Audiences { get; set; }
}
