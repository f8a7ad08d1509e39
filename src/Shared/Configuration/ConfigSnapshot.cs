using MasterMcp.Backends;
using MasterMcp.Credentials;

namespace MasterMcp.Configuration;

/// <summary>
/// One configuration that passed every rule for serving with it (<see cref="ConfigSnapshotValidator"/>): the loaded
/// configuration, its backends in configuration order, and the keys that protect stored tokens (null when none
/// is configured). Immutable; a reload
/// replaces the whole snapshot.
/// </summary>
public sealed record ConfigSnapshot(LoadedConfiguration Config, IReadOnlyList<BackendDefinition> Backends, TokenKeyRing? TokenKeys)
{
    /// <summary>The typed options.</summary>
    public GatewayOptions Options => Config.Options;
}
