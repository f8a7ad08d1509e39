using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MasterMcp.Storage;

/// <summary>Registers Table Storage.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers <see cref="StorageOptions"/> and a singleton <see cref="IStoreFactory"/> over Table Storage (uses a registered <see cref="TimeProvider"/>).</summary>
    public static IServiceCollection AddTableStorage(this IServiceCollection services, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<IStoreFactory>(sp => new TableStoreFactory(options, sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
