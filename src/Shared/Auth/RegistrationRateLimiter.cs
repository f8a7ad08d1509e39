using System.Net;
using System.Threading.RateLimiting;

namespace MasterMcp.Auth;

/// <summary>
/// Registrations per source address and minute (auth.registration.per_address_per_minute), in this instance: a fixed
/// window per address, rebuilt when a reload changes the limit.
/// </summary>
public sealed class RegistrationRateLimiter : IDisposable
{
    private readonly Lock _gate = new();
    private (int Limit, PartitionedRateLimiter<IPAddress>? Limiter) _current;

    /// <summary>Null when <paramref name="address"/> may register now; otherwise how long until it may.</summary>
    public TimeSpan? TryAcquire(IPAddress? address, int perMinute)
    {
        if (perMinute <= 0)
        {
            return null;
        }
        using var lease = LimiterFor(perMinute).AttemptAcquire(address ?? IPAddress.None);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    private PartitionedRateLimiter<IPAddress> LimiterFor(int perMinute)
    {
        lock (_gate)
        {
            if (_current.Limit != perMinute || _current.Limiter is null)
            {
                _current.Limiter?.Dispose();
                _current = (perMinute, PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(
                    // IPv4 clients reached over a dual-stack socket count as their IPv4 address.
                    address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address,
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true })));
            }
            return _current.Limiter;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _current.Limiter?.Dispose();
}
