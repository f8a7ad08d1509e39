using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Secrets;

namespace MasterMcp.Hosting;

/// <summary>
/// What both hosts need before they build: the validated configuration, with every secret reference in it checked once,
/// so that a missing secret stops startup with a message naming the setting (never the value).
/// </summary>
public sealed record GatewayStartup(ConfigInputs Inputs, ConfigSnapshot Snapshot, Func<GatewayOptions, ISecretResolver> ResolverFactory)
{
    /// <summary>The loaded configuration.</summary>
    public LoadedConfiguration Config => Snapshot.Config;

    /// <summary>The keys that protect stored backend tokens (ephemeral in Development when none is configured).</summary>
    public TokenKeyRing TokenKeys { get; init; } = Snapshot.TokenKeys ?? TokenKeyRing.Ephemeral();

    /// <summary>
    /// Loads the configuration and checks every serving rule (<see cref="ConfigSnapshotValidator"/>, the same rules a
    /// reload must pass); <paramref name="resolverFactory"/> is kept for the reloads.
    /// </summary>
    public static async Task<GatewayStartup> PrepareAsync(ConfigInputs inputs, Func<GatewayOptions, ISecretResolver> resolverFactory, CancellationToken cancellationToken = default) =>
        new(inputs, await ConfigSnapshotValidator.LoadAsync(inputs, resolverFactory, cancellationToken), resolverFactory);
}
