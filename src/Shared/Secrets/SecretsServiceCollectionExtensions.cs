using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Secrets;

/// <summary>Registers <see cref="ISecretResolver"/>.</summary>
public static class SecretsServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="SecretResolver"/> (and <see cref="TimeProvider.System"/> unless one is registered).
    /// <paramref name="secretClientFactory"/> replaces <see cref="SecretResolver.CreateDefaultSecretClient"/>, e.g. for a local Key Vault stand-in.
    /// </summary>
    public static IServiceCollection AddSecretResolution(
        this IServiceCollection services,
        SecretOptions options,
        Func<Uri, SecretClient>? secretClientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton<ISecretResolver>(sp => new SecretResolver(
            sp.GetRequiredService<SecretOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            secretClientFactory,
            getEnvironmentVariable: null,
            sp.GetService<ILogger<SecretResolver>>()));
        return services;
    }
}
