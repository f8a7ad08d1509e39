using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using MasterMcp.Scaleout;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace MasterMcp.Limits;

/// <summary>
/// security.rate_limits shared by every instance: a fixed one-minute window per partition, counted in Redis by one Lua
/// script (INCR, and the window's expiry set by the first request in it), so a limit of 5 means 5 across all instances.
/// While Redis is unreachable the instance counts on its own (<paramref name="fallback"/>) and says so once in the log.
/// </summary>
public sealed partial class RedisWindowRateLimiter(RedisBackplane redis, PartitionedRateLimiter<RatePartition> fallback, ILogger logger) : PartitionedRateLimiter<RatePartition>
{
    /// <summary>The window every limit is counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Returns the count in the current window and the milliseconds until it ends.
    private const string Script = """
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return { n, ttl }
        """;

    private int _degraded;

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics(RatePartition resource) => null;

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(RatePartition resource, int permitCount) =>
        // Callers of the gateway use AcquireAsync; a synchronous caller is served by the local count rather than blocking on Redis.
        fallback.AttemptAcquire(resource, permitCount);

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(RatePartition resource, int permitCount, CancellationToken cancellationToken)
    {
        if (redis.IsConnected)
        {
            try
            {
                var result = (RedisResult[])(await redis.EvaluateAsync(Script, [KeyOf(resource)], [(long)Window.TotalMilliseconds]))!;
                if (Interlocked.Exchange(ref _degraded, 0) == 1)
                {
                    LogRestored(logger);
                }
                var count = (long)result[0];
                return count <= resource.PerMinute ? WindowLease.Acquired : new WindowLease(TimeSpan.FromMilliseconds(Math.Max(1, (long)result[1])));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
            {
                Degrade(ex.GetType().Name);
            }
        }
        else
        {
            Degrade("not connected");
        }
        return await fallback.AcquireAsync(resource, permitCount, cancellationToken);
    }

    private void Degrade(string reason)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogDegraded(logger, reason);
        }
    }

    private RedisKey KeyOf(RatePartition partition) =>
        // Hashed: no subject, client id or address in Redis, and no key a caller can shape.
        redis.KeyPrefix + "rl:" + partition.Kind.Name() + ":" + partition.PerMinute + ":" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(partition.Key)), 0, 16);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fallback.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await fallback.DisposeAsync();
        await base.DisposeAsyncCore();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits: Redis is unreachable ({Reason}); each instance counts on its own until it is back (limits apply per instance meanwhile)")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limits: Redis is back; limits are counted across instances again")]
    private static partial void LogRestored(ILogger logger);

    /// <summary>A lease that holds nothing (a window's count is not given back): acquired, or refused with Retry-After.</summary>
    private sealed class WindowLease : RateLimitLease
    {
        public static readonly WindowLease Acquired = new(null);

        private readonly TimeSpan? _retryAfter;

        public WindowLease(TimeSpan? retryAfter) => _retryAfter = retryAfter;

        public override bool IsAcquired => _retryAfter is null;

        public override IEnumerable<string> MetadataNames => _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = _retryAfter;
            return _retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
