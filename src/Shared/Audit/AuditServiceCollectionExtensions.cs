using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Audit;

/// <summary>Registers the audit trail (both hosts).</summary>
public static class AuditServiceCollectionExtensions
{
    /// <summary>Adds <see cref="AuditTrail"/>, its table writer (a hosted service) and its counters.</summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<AuditMetrics>();
        services.AddSingleton<AuditTableWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditTableWriter>());
        services.AddSingleton<AuditTrail>();
        return services;
    }
}
