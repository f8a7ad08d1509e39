using MasterMcp.Admin;
using MasterMcp.Audit;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Gateway;
using MasterMcp.Observability;
using MasterMcp.Scaleout;
using MasterMcp.Secrets;
using MasterMcp.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Hosting;

/// <summary>Registers the gateway's services; both hosts call this, so they run the same code.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>Adds configuration, secrets, storage, the route handlers and the shared pipeline.</summary>
    public static IServiceCollection AddMasterMcpGateway(this IServiceCollection services, GatewayStartup startup)
    {
        var options = startup.Config.Options;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(startup);
        services.AddSingleton(sp => new GatewayConfigMonitor(startup.Snapshot, startup.Inputs, startup.ResolverFactory, sp.GetRequiredService<ILogger<GatewayConfigMonitor>>()));
        services.AddSingleton<IOptionsMonitor<GatewayOptions>>(sp => sp.GetRequiredService<GatewayConfigMonitor>());
        services.AddHostedService<ConfigWatchService>();

        services.AddSecretResolution(SecretOptionsFrom(options));
        if (options.Storage.Provider == "memory")
        {
            services.AddSingleton<IStoreFactory>(sp => new InMemoryStoreFactory(sp.GetRequiredService<TimeProvider>(), options.Storage.TablePrefix));
        }
        else
        {
            services.AddTableStorage(StorageOptionsFrom(startup));
        }

        services.AddSingleton(startup.TokenKeys);
        services.AddSingleton<TokenProtector>();
        services.AddSingleton<TokenVault>();
        services.AddHostedService<TokenKeyWarningService>();
        services.AddAuditTrail();
        services.AddBackendCredentials();
        services.AddGatewayAuth();
        services.AddScaleout(startup);
        services.AddAdmin();
        services.AddMcpGateway(options);
        services.AddGatewayTelemetry(startup);
        Observability.ConsentRequiredLogFilter.Register(services);
        services.AddSingleton<GatewayPipeline>();
        services.AddSingleton<Limits.RequestRateLimiter>();
        services.AddHealthChecks().AddCheck<StorageHealthCheck>(StorageHealthCheck.Name, timeout: ReadyEndpoint.CheckTimeout);
        foreach (var route in GatewayRoutes.All)
        {
            services.TryAddSingleton(route.HandlerType);
        }
        return services;
    }

    /// <summary>Secret resolution settings from the configuration.</summary>
    public static SecretOptions SecretOptionsFrom(GatewayOptions options) => new()
    {
        KeyVaultUri = options.Secrets.KeyVaultUri,
        CacheTtl = TimeSpan.FromSeconds(options.Secrets.CacheTtlSeconds),
    };

    private static StorageOptions StorageOptionsFrom(GatewayStartup startup)
    {
        var settings = startup.Config.Options.Storage;
        // A secret reference in storage.connection_string was checked at startup; resolve it for the store now.
        string? connection = settings.ConnectionString;
        if (connection is not null)
        {
            var resolver = new SecretResolver(SecretOptionsFrom(startup.Config.Options));
            connection = resolver.ResolveAsync(connection, "storage.connection_string").AsTask().GetAwaiter().GetResult();
        }
        // Development with nothing configured: the local emulator (Azurite) at its default ports.
        if (connection is null && startup.Config.IsDevelopment && !startup.Inputs.Environment.Keys.Any(k => k.StartsWith("AzureWebJobsStorage", StringComparison.Ordinal)))
        {
            connection = "UseDevelopmentStorage=true";
        }
        return StorageOptions.FromSettings(startup.Inputs.Env, connection) with
        {
            TablePrefix = settings.TablePrefix,
            Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds),
        };
    }
}
