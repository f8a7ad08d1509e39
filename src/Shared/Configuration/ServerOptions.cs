using System.Text.Json.Nodes;

namespace MasterMcp.Configuration;

/// <summary>One backend MCP server as written in <c>servers[]</c>.</summary>
public sealed record ServerOptions
{
    public required string Id { get; set; }
    public string? Name { get; set; }
    public string? Type { get; set; }
    public string? Url { get; set; }
    public string? Transport { get; set; }
    public string? Command { get; set; }
    public IReadOnlyList<string>? Args { get; set; }
    public string? Package { get; set; }
    public string? Version { get; set; }
    public string? Image { get; set; }
    public ServerProcessOptions? Config { get; set; }
    public IReadOnlyDictionary<string, string>? Headers { get; set; }
    public string? Prefix { get; set; }
    public int? TimeoutMs { get; set; }
    public int? HealthCheckSeconds { get; set; }
    public string? Session { get; set; }
    public bool Required { get; set; }
    public bool Enabled { get; set; } = true;
    public string? ProtocolVersion { get; set; }
    public string? AuthStrategy { get; set; }
    public JsonObject? AuthConfig { get; set; }

    /// <summary>Shorthand policy: users without every one of these scopes do not see or reach this backend.</summary>
    public IReadOnlyList<string>? RequiredScopes { get; set; }
}

/// <summary>Process settings of a stdio backend.</summary>
public sealed record ServerProcessOptions
{
    public IReadOnlyDictionary<string, string>? Environment { get; set; }
    public string? WorkingDirectory { get; set; }
}
