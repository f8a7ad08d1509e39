using System.Globalization;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Scaleout;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace MasterMcp.Admin;

/// <summary>
/// Client sessions per instance. With Redis, every instance writes its count into one hash at each override refresh
/// (<c>{prefix}admin:instances</c>, field = instance id); entries older than three refresh periods belong to instances that
/// are gone and are left out. Without Redis only this instance is known.
/// </summary>
public sealed class InstanceReports(InstanceIdentity instance, BackendRegistry registry, IOptionsMonitor<GatewayOptions> options, TimeProvider time, RedisBackplane? backplane = null)
{
    private const string WriteScript = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('PEXPIRE', KEYS[1], ARGV[3]); return 1";
    private const string ReadScript = "return redis.call('HGETALL', KEYS[1])";

    /// <summary>One instance's count at one moment.</summary>
    public sealed record Report(string Instance, int Sessions, DateTimeOffset At);

    /// <summary>This instance's id.</summary>
    public string ThisInstance => instance.Id;

    /// <summary>True when counts come from every instance (Redis).</summary>
    public bool Shared => backplane is not null;

    private TimeSpan Staleness => TimeSpan.FromSeconds(3 * options.CurrentValue.Admin.RefreshSeconds);

    private Report Local() => new(instance.Id, registry.DownstreamSessions.Count, time.GetUtcNow());

    /// <summary>Writes this instance's count (no-op without Redis).</summary>
    public async Task PublishAsync()
    {
        if (backplane is null)
        {
            return;
        }
        var local = Local();
        await backplane.EvaluateAsync(WriteScript, [Key], [local.Instance, local.Sessions.ToString(CultureInfo.InvariantCulture) + "|" + local.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            (long)Staleness.TotalMilliseconds * 2]);
    }

    /// <summary>Every live instance's count (this instance's fresh); this instance alone without Redis or while it is down.</summary>
    public async Task<IReadOnlyList<Report>> ReadAsync(CancellationToken cancellationToken)
    {
        var local = Local();
        if (backplane is null)
        {
            return [local];
        }
        RedisResult result;
        try
        {
            result = await backplane.EvaluateAsync(ReadScript, [Key], []).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return [local];
        }
        var pairs = (RedisResult[])result!;
        var reports = new List<Report> { local };
        var cutoff = time.GetUtcNow() - Staleness;
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            var id = pairs[i].ToString();
            var parts = pairs[i + 1].ToString().Split('|');
            if (id == instance.Id || parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var sessions)
                || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ms))
            {
                continue;
            }
            var at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (at >= cutoff)
            {
                reports.Add(new Report(id, sessions, at));
            }
        }
        return [.. reports.OrderBy(r => r.Instance, StringComparer.Ordinal)];
    }

    private RedisKey Key => new((backplane?.KeyPrefix ?? "") + "admin:instances");
}
