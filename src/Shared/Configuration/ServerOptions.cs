using System.Text.Json.Nodes;

namespace MasterMcp.Configuration;

/// <summary>One backend MCP server as written in <c>servers[]</c>.</summary>
public sealed record ServerOptions
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Type { get; init; }
    public string? Url { get; init; }
    public string? Transport { get; init; }
    public string? Command { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public string? Package { get; init; }
    public string? Version { get; init; }
    public string? Image { get; init; }
    public ServerProcessOptions? Config { get; init; }
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public string? Prefix { get; init; }
    public int? TimeoutMs { get; init; }
    public string? Session { get; init; }
    public bool Required { get; init; }
    public bool Enabled { get; init; } = true;
    public string? ProtocolVersion { get; init; }
    public string? AuthStrategy { get; init; }
    public JsonObject? AuthConfig { get; init; }
}

/// <summary>Process settings of a stdio backend.</summary>
public sealed record ServerProcessOptions
{
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    public string? WorkingDirectory { get; init; }
}
