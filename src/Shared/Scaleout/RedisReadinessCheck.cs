using MasterMcp.Hosting;

namespace MasterMcp.Scaleout;

/// <summary>/ready reports the Redis backplane: interactive MCP across instances needs it.</summary>
public sealed class RedisReadinessCheck(RedisBackplane backplane, InstanceIdentity instance) : IReadinessCheck
{
    /// <inheritdoc />
    public string Name => "redis";

    /// <inheritdoc />
    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latency = await backplane.PingAsync(cancellationToken);
            return new ReadinessResult(true, $"ok (instance {instance.Id}, {latency.TotalMilliseconds:0.0} ms)");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or OperationCanceledException)
        {
            return new ReadinessResult(false, "unavailable: " + ex.GetType().Name);
        }
    }
}
