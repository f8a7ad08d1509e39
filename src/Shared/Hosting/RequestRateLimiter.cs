using System.Net;
using System.Threading.RateLimiting;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>
/// security.rate_limits for /mcp and the authorization server's endpoints, in this instance: a fixed one-minute window per
/// authenticated subject, per client id and per source address (each off at 0). Limiters are rebuilt when a reload changes
/// the limits.
/// </summary>
public sealed class RequestRateLimiter : IDisposable
{
    private readonly Lock _gate = new();
    private (RateLimitOptions? Options, PartitionedRateLimiter<string>? Limiter) _current;

    /// <summary>Null when the request may proceed; otherwise which limit it hit and how long until it may retry.</summary>
    public (string Limit, TimeSpan RetryAfter)? TryAcquire(HttpContext context, RateLimitOptions options)
    {
        var limiter = LimiterFor(options);
        var user = GatewayUser.From(context);
        var address = context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip) : IPAddress.None;
        var clientId = user?.ClientId ?? (context.Request.HasFormContentType && context.Request.Form.TryGetValue("client_id", out var id) ? id.ToString() : null);
        foreach (var (limit, key, perMinute) in new[]
        {
            ("per_subject_per_minute", user is null ? null : "s:" + user.Key, options.PerSubjectPerMinute),
            ("per_client_per_minute", clientId is null ? null : "c:" + clientId, options.PerClientPerMinute),
            ("per_address_per_minute", "a:" + address, options.PerAddressPerMinute),
        })
        {
            if (key is null || perMinute <= 0)
            {
                continue;
            }
            using var lease = limiter.AttemptAcquire(key);
            if (!lease.IsAcquired)
            {
                return (limit, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1));
            }
        }
        return null;
    }

    private PartitionedRateLimiter<string> LimiterFor(RateLimitOptions options)
    {
        lock (_gate)
        {
            if (_current.Limiter is null || !Equals(_current.Options, options))
            {
                _current.Limiter?.Dispose();
                _current = (options, PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = k[0] switch { 's' => options.PerSubjectPerMinute, 'c' => options.PerClientPerMinute, _ => options.PerAddressPerMinute },
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                })));
            }
            return _current.Limiter;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _current.Limiter?.Dispose();
}
