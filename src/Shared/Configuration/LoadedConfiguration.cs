using System.Text.Json.Nodes;

namespace MasterMcp.Configuration;

/// <summary>A validated configuration: the environment it was built for, the typed options, the merged document and the files it came from.</summary>
public sealed record LoadedConfiguration(string EnvironmentName, GatewayOptions Options, JsonObject Document, IReadOnlyList<string> Files)
{
    /// <summary>True in the Development environment.</summary>
    public bool IsDevelopment => string.Equals(EnvironmentName, "Development", StringComparison.OrdinalIgnoreCase);
}
