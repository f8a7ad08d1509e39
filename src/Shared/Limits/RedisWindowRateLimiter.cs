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
/// <see cref="AcquireAllAsync"/> counts several partitions of one request (subject and client) in that one script: one
/// round trip instead of one per partition.
/// While Redis is unreachable the instance counts on its own (<paramref name="fallback"/>) and says so once in the log.
/// </summary>
public sealed partial class RedisWindowRateLimiter(RedisBackplane redis, PartitionedRateLimiter<RatePartition> fallback, ILogger logger) : PartitionedRateLimiter<RatePartition>
{
    /// <summary>The window every limit is counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Counts the request in each key in turn (ARGV[1]: the window in ms; ARGV[i + 1]: the limit of KEYS[i]) and stops at
    // the first key over its limit, whose position and milliseconds until its window ends it returns ({0, 0}: all within).
    // Keys after a refusing one are not counted, as when each partition is asked in turn.
    private const string Script = """
        for i = 1, #KEYS do
          local n = redis.call('INCR', KEYS[i])
          local ttl = redis.call('PTTL', KEYS[i])
          if ttl < 0 then
            redis.call('PEXPIRE', KEYS[i], ARGV[1])
            ttl = tonumber(ARGV[1])
          end
          if n > tonumber(ARGV[i + 1]) then
            return { i, ttl }
          end
        end
        return { 0, 0 }
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
        if (await EvaluateAsync([resource]) is { } counted)
        {
            return counted.Refused < 0 ? WindowLease.Acquired : new WindowLease(counted.RetryAfter);
        }
        return await fallback.AcquireAsync(resource, permitCount, cancellationToken);
    }

    /// <summary>
    /// Counts one request in each of <paramref name="partitions"/> in order, in one round trip, stopping at the first over
    /// its limit: that one and its Retry-After, or null when all were within. Without Redis, the local counts, in turn.
    /// </summary>
    public async ValueTask<(RatePartition Partition, TimeSpan RetryAfter)?> AcquireAllAsync(RatePartition[] partitions, CancellationToken cancellationToken)
    {
        if (await EvaluateAsync(partitions) is { } counted)
        {
            return counted.Refused < 0 ? null : (partitions[counted.Refused], counted.RetryAfter);
        }
        foreach (var partition in partitions)
        {
            using var lease = await fallback.AcquireAsync(partition, 1, cancellationToken);
            if (!lease.IsAcquired)
            {
                return (partition, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : Window);
            }
        }
        return null;
    }

    // The script's answer (Refused: the index of the refusing partition, or -1), or null when Redis cannot answer.
    private async ValueTask<(int Refused, TimeSpan RetryAfter)?> EvaluateAsync(RatePartition[] partitions)
    {
        if (!redis.IsConnected)
        {
            Degrade("not connected");
            return null;
        }
        try
        {
            var keys = new RedisKey[partitions.Length];
            var values = new RedisValue[partitions.Length + 1];
            values[0] = (long)Window.TotalMilliseconds;
            for (var i = 0; i < partitions.Length; i++)
            {
                keys[i] = KeyOf(partitions[i]);
                values[i + 1] = partitions[i].PerMinute;
            }
            var result = (RedisResult[])(await redis.EvaluateAsync(Script, keys, values))!;
            if (Interlocked.Exchange(ref _degraded, 0) == 1)
            {
                LogRestored(logger);
            }
            var refused = (int)result[0];
            return refused == 0 ? (-1, TimeSpan.Zero) : (refused - 1, TimeSpan.FromMilliseconds(Math.Max(1, (long)result[1])));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
        {
            Degrade(ex.GetType().Name);
            return null;
        }
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
