using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>What one backend listed (its own names), or the error that stopped it, and when.</summary>
internal sealed record BackendListing(
    IReadOnlyList<Tool> Tools,
    IReadOnlyList<Prompt> Prompts,
    IReadOnlyList<Resource> Resources,
    IReadOnlyList<ResourceTemplate> Templates,
    string? Error,
    DateTimeOffset At)
{
    public static BackendListing Failed(string error, DateTimeOffset at) => new([], [], [], [], error, at);
}
