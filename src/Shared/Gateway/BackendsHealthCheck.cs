using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Gateway;

/// <summary>/ready waits for backends marked <c>required</c>; the others are reported (Degraded) but do not block readiness.</summary>
public sealed class BackendsHealthCheck(Catalog catalog) : IHealthCheck
{
    /// <summary>The name shown in the /ready body.</summary>
    public const string Name = "backends";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = await catalog.GetAsync(cancellationToken);
        var down = snapshot.Backends.Where(b => b.State != Backends.BackendState.Connected).ToList();
        if (down.Count == 0)
        {
            return HealthCheckResult.Healthy($"{snapshot.Backends.Count} connected");
        }
        var status = $"{snapshot.Backends.Count - down.Count}/{snapshot.Backends.Count} connected; down: " + string.Join(", ", down.Select(b => $"{b.Id}{(b.Required ? " (required)" : "")}: {b.LastError}"));
        return down.Any(b => b.Required) ? HealthCheckResult.Unhealthy(status) : HealthCheckResult.Degraded(status);
    }
}
