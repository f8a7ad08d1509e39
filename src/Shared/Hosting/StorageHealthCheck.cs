using MasterMcp.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Hosting;

/// <summary>/ready waits for Table Storage to answer.</summary>
public sealed class StorageHealthCheck(IStoreFactory stores) : IHealthCheck
{
    /// <summary>The name shown in the /ready body.</summary>
    public const string Name = "storage";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await stores.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy("ok");
        }
        catch (Exception ex) when (ex is StorageUnavailableException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex is OperationCanceledException ? "timed out" : ex.Message);
        }
    }
}
