using System.Text;
using System.Threading.RateLimiting;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Scaleout;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Limits;

/// <summary>
/// security.rate_limits for /mcp and the authorization server's endpoints: a fixed one-minute window per authenticated
/// subject, per client id and per source address (each off at 0). Counted in this instance, or across all instances in
/// Redis when <c>scaleout.redis</c> is set (<see cref="RedisWindowRateLimiter"/>). The limit in force is part of each
/// partition, so a reload that changes it starts new counts without rebuilding anything.
/// </summary>
public sealed class RequestRateLimiter : IAsyncDisposable
{
    private const int MaxClientIdLength = 256;

    private readonly PartitionedRateLimiter<RatePartition> _limiter;

    public RequestRateLimiter(ILogger<RequestRateLimiter> logger, RedisBackplane? redis = null)
    {
        var local = PartitionedRateLimiter.Create<RatePartition, RatePartition>(partition => RateLimitPartition.GetFixedWindowLimiter(partition, p => new FixedWindowRateLimiterOptions
        {
            PermitLimit = p.PerMinute,
            Window = RedisWindowRateLimiter.Window,
            QueueLimit = 0,
        }));
        _limiter = redis is null ? local : new RedisWindowRateLimiter(redis, local, logger);
    }

    /// <summary>Before authentication, so floods of bad tokens count too: the source address.</summary>
    public ValueTask<RateLimitRefusal?> CheckAddressAsync(HttpContext context, RateLimitOptions options) =>
        options.PerAddressPerMinute <= 0
            ? ValueTask.FromResult<RateLimitRefusal?>(null)
            : AcquireAsync(new RatePartition(RateLimitKind.Address, SourceAddress.PartitionOf(SourceAddress.Of(context)), options.PerAddressPerMinute), context.RequestAborted);

    /// <summary>
    /// POST /register (auth.registration.per_address_per_minute): registrations by source address, counted like the other
    /// limits — across instances when Redis is configured, so more instances do not mean more registrations.
    /// </summary>
    public ValueTask<RateLimitRefusal?> CheckRegistrationAsync(HttpContext context, int perMinute) =>
        perMinute <= 0
            ? ValueTask.FromResult<RateLimitRefusal?>(null)
            : AcquireAsync(new RatePartition(RateLimitKind.Registration, SourceAddress.PartitionOf(SourceAddress.Of(context)), perMinute), context.RequestAborted);

    /// <summary>After authentication and the body: the subject, then the client id (with Redis both in one round trip).</summary>
    public async ValueTask<RateLimitRefusal?> CheckCallerAsync(HttpContext context, RateLimitOptions options)
    {
        var user = GatewayUser.From(context);
        RatePartition? bySubject = user is not null && options.PerSubjectPerMinute > 0 ? new RatePartition(RateLimitKind.Subject, user.Key, options.PerSubjectPerMinute) : null;
        RatePartition? byClient = options.PerClientPerMinute > 0 && ClientIdOf(context, user) is { } clientId ? new RatePartition(RateLimitKind.Client, clientId, options.PerClientPerMinute) : null;
        if (bySubject is { } subject && byClient is { } client && _limiter is RedisWindowRateLimiter shared)
        {
            return await shared.AcquireAllAsync([subject, client], context.RequestAborted) is { } refused ? new RateLimitRefusal(refused.Partition.Kind, refused.RetryAfter) : null;
        }
        if (bySubject is { } onlySubject && await AcquireAsync(onlySubject, context.RequestAborted) is { } refusedBySubject)
        {
            return refusedBySubject;
        }
        if (byClient is { } onlyClient && await AcquireAsync(onlyClient, context.RequestAborted) is { } refusedByClient)
        {
            return refusedByClient;
        }
        return null;
    }

    private async ValueTask<RateLimitRefusal?> AcquireAsync(RatePartition partition, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(partition, 1, cancellationToken);
        if (lease.IsAcquired)
        {
            return null;
        }
        return new RateLimitRefusal(partition.Kind, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : RedisWindowRateLimiter.Window);
    }

    /// <summary>The token's client; on OAuth requests the client_id they name (form, query, or HTTP Basic client authentication).</summary>
    private static string? ClientIdOf(HttpContext context, GatewayUser? user)
    {
        var request = context.Request;
        var clientId = user?.ClientId;
        // Only a form the pipeline already read (POST): Request.Form would read any other body, blocking a thread.
        if (clientId is null && request.HasFormContentType && context.Features.Get<Microsoft.AspNetCore.Http.Features.IFormFeature>()?.Form is { } parsed
            && parsed.TryGetValue("client_id", out var form))
        {
            clientId = form.ToString();
        }
        if (clientId is null && request.Query.TryGetValue("client_id", out var query))
        {
            clientId = query.ToString();
        }
        if (clientId is null && request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            clientId = BasicClientId(authorization["Basic ".Length..].Trim());
        }
        return clientId is { Length: > 0 } ? clientId[..Math.Min(clientId.Length, MaxClientIdLength)] : null;
    }

    private static string? BasicClientId(string encoded)
    {
        Span<byte> buffer = stackalloc byte[Math.Min(encoded.Length, 1024)];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written))
        {
            return null;
        }
        var decoded = Encoding.UTF8.GetString(buffer[..written]);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? null : Uri.UnescapeDataString(decoded[..colon]);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}

/// <summary>A request over a limit: which kind of partition refused it and how long until it may retry.</summary>
public readonly record struct RateLimitRefusal(RateLimitKind Kind, TimeSpan RetryAfter);
