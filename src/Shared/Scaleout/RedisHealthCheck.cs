using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Scaleout;

/// <summary>
/// /ready reports the Redis backplane. An outage does not make the instance unready (Degraded, not Unhealthy): it still
/// serves every request of its own sessions and every stateless request; only requests that must reach another instance
/// fail (with a clear error) until Redis is back. Taking every instance out of a balancer for that would turn a partial
/// outage into a full one.
/// </summary>
public sealed class RedisHealthCheck(RedisBackplane backplane, InstanceIdentity instance) : IHealthCheck
{
    /// <summary>The name shown in the /ready body.</summary>
    public const string Name = "redis";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await backplane.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"ok (instance {instance.Id}, {latency.TotalMilliseconds:0.0} ms)");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Degraded("unavailable (" + ex.GetType().Name + "): requests of sessions held by other instances fail until Redis is back");
        }
    }
}
