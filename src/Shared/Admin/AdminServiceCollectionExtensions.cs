using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Admin;

/// <summary>Registers the admin console and API, the runtime overrides and their propagation.</summary>
public static class AdminServiceCollectionExtensions
{
    /// <summary>Adds the runtime overrides (and the service that keeps them current), admin access checks, operations and the recent-errors log.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<OverrideState>();
        services.AddSingleton<RuntimeOverrides>();
        services.AddSingleton<InstanceReports>();
        services.AddSingleton<AdminAccess>();
        services.AddSingleton<AdminOperations>();
        services.AddSingleton<RecentErrors>();
        services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<RecentErrors>());
        services.AddHostedService<RuntimeOverridesService>();
        return services;
    }
}
