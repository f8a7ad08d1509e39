using MasterMcp.Hosting;
using MasterMcp.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Scaleout;

/// <summary>Registers what lets several instances serve one set of clients.</summary>
public static partial class ScaleoutServiceCollectionExtensions
{
    /// <summary>
    /// Adds the instance identity and graceful drain always, and the Redis backplane and session tunnel when
    /// <c>scaleout.redis</c> is set (its secret reference was checked at startup and is resolved here).
    /// </summary>
    public static IServiceCollection AddScaleout(this IServiceCollection services, GatewayStartup startup)
    {
        var options = startup.Config.Options;
        services.AddSingleton<InstanceIdentity>();
        services.AddSingleton(sp => new OwnerRoutes(sp.GetRequiredService<InstanceIdentity>(), sp.GetRequiredService<Credentials.TokenKeyRing>(), sp.GetService<RedisBackplane>()));
        if (options.Scaleout.Redis is { Length: > 0 } setting)
        {
            var resolver = new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(options));
            var connection = resolver.ResolveAsync(setting, "scaleout.redis").AsTask().GetAwaiter().GetResult();
            services.AddSingleton(sp => new RedisBackplane(connection, options.Scaleout.KeyPrefix, sp.GetRequiredService<InstanceIdentity>(), sp.GetRequiredService<ILogger<RedisBackplane>>()));
            services.AddSingleton<SessionTunnel>();
            services.AddHostedService(sp => sp.GetRequiredService<SessionTunnel>());
            services.AddHealthChecks().AddCheck<RedisHealthCheck>(RedisHealthCheck.Name, timeout: ReadyEndpoint.CheckTimeout);
        }
        else
        {
            services.AddHealthChecks().AddCheck<SingleInstanceHealthCheck>(SingleInstanceHealthCheck.Name);
            services.AddHostedService<SingleInstanceNotice>();
        }
        services.AddSingleton(sp => new DrainCoordinator(sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Configuration.GatewayOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DrainCoordinator>>(), sp.GetService<RedisBackplane>()));
        services.AddHostedService(sp => sp.GetRequiredService<DrainCoordinator>());
        return services;
    }

    private sealed partial class SingleInstanceNotice(ILogger<SingleInstanceNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogSingleInstance(logger, SingleInstanceHealthCheck.Notice);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "Scale-out: {Notice}")]
        private static partial void LogSingleInstance(ILogger logger, string notice);
    }
}
