using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MasterMcp.Scaleout;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace MasterMcp.Limits;

/// <summary>What a per-user cap counts.</summary>
public enum SlotKind
{
    /// <summary>Client sessions (sessions.max_sessions_per_user).</summary>
    Session,

    /// <summary>Open GET streams, resumptions included (sessions.max_streams_per_user).</summary>
    Stream,
}

/// <summary>
/// Per-user counts of things held open (sessions, streams), checked against a cap when one more is taken. In this instance
/// only, or — with <c>scaleout.redis</c> — across all instances: one Redis sorted set per (kind, user) whose members are
/// the slots held, scored by when they expire. The instance holding a slot extends it every <see cref="Ttl"/>/3 and
/// removes it when the session or stream ends, so the slots of an instance that died free themselves within <see cref="Ttl"/>.
/// While Redis is unreachable slots are counted in this instance (logged once).
/// </summary>
public sealed partial class UserSlots(ILogger<UserSlots> logger, RedisBackplane? redis = null) : BackgroundService
{
    /// <summary>How long a slot outlives the last extension by its instance.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    // KEYS[1] the user's set; ARGV: cap, member, ttl ms. Drops expired slots, then adds one unless the cap is reached.
    // Returns -1 when taken, else the count held. Redis time, so instances' clocks do not matter.
    private const string TakeScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local n = redis.call('ZCARD', KEYS[1])
        if n >= tonumber(ARGV[1]) then return n end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
        return -1
        """;

    // KEYS[1] the user's set; ARGV: ttl ms, members. Extends (or, after a Redis restart, restores) slots still held.
    private const string ExtendScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
        return 0
        """;

    private readonly Lock _gate = new();
    private readonly Dictionary<(SlotKind, string), HashSet<string>> _local = [];
    private readonly ConcurrentDictionary<UserSlot, byte> _shared = new();
    private int _degraded;

    /// <summary>Slots this instance holds now, of one kind and user (counted locally and in Redis alike).</summary>
    public int HeldHere(SlotKind kind, string userKey)
    {
        lock (_gate)
        {
            return (_local.GetValueOrDefault((kind, userKey))?.Count ?? 0) + _shared.Keys.Count(s => s.Kind == kind && s.UserKey == userKey);
        }
    }

    /// <summary>Takes a slot unless <paramref name="userKey"/> already holds <paramref name="cap"/>: the slot, or null at the cap.</summary>
    public async Task<UserSlot?> TryTakeAsync(SlotKind kind, string userKey, int cap)
    {
        var slot = new UserSlot(this, kind, userKey, Guid.NewGuid().ToString("N"));
        if (redis is { IsConnected: true })
        {
            try
            {
                var held = (long)await redis.EvaluateAsync(TakeScript, [KeyOf(kind, userKey)], [cap, slot.Id, (long)Ttl.TotalMilliseconds]);
                Restored();
                if (held >= 0)
                {
                    return null;
                }
                slot.Shared = true;
                _shared[slot] = 0;
                return slot;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
            {
                Degrade(ex.GetType().Name);
            }
        }
        else if (redis is not null)
        {
            Degrade("not connected");
        }
        lock (_gate)
        {
            if (!_local.TryGetValue((kind, userKey), out var ids))
            {
                _local[(kind, userKey)] = ids = new HashSet<string>(StringComparer.Ordinal);
            }
            if (ids.Count >= cap)
            {
                return null;
            }
            ids.Add(slot.Id);
        }
        return slot;
    }

    /// <summary>Counts a slot in this instance without a cap (a session continued here from the store, which was counted where it began).</summary>
    public UserSlot TakeHere(SlotKind kind, string userKey)
    {
        var slot = new UserSlot(this, kind, userKey, Guid.NewGuid().ToString("N"));
        lock (_gate)
        {
            if (!_local.TryGetValue((kind, userKey), out var ids))
            {
                _local[(kind, userKey)] = ids = new HashSet<string>(StringComparer.Ordinal);
            }
            ids.Add(slot.Id);
        }
        return slot;
    }

    internal async ValueTask ReleaseAsync(UserSlot slot)
    {
        if (!slot.Shared)
        {
            lock (_gate)
            {
                if (_local.TryGetValue((slot.Kind, slot.UserKey), out var ids) && ids.Remove(slot.Id) && ids.Count == 0)
                {
                    _local.Remove((slot.Kind, slot.UserKey));
                }
            }
            return;
        }
        _shared.TryRemove(slot, out _);
        try
        {
            await redis!.EvaluateAsync("return redis.call('ZREM', KEYS[1], ARGV[1])", [KeyOf(slot.Kind, slot.UserKey)], [slot.Id]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Unreachable now: the slot expires by itself within the TTL, as it would had this instance died.
            LogReleaseFailed(logger, slot.Kind, ex.GetType().Name);
        }
    }

    /// <summary>Extends the shared slots this instance holds, every third of the TTL.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (redis is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(Ttl / 3);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var group in _shared.Keys.GroupBy(s => (s.Kind, s.UserKey)))
            {
                try
                {
                    await redis.EvaluateAsync(ExtendScript, [KeyOf(group.Key.Kind, group.Key.UserKey)],
                        [(long)Ttl.TotalMilliseconds, .. group.Select(s => (RedisValue)s.Id)]);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    Degrade(ex.GetType().Name);
                    break;
                }
            }
        }
    }

    private RedisKey KeyOf(SlotKind kind, string userKey) =>
        redis!.KeyPrefix + "slots:" + (kind == SlotKind.Session ? "session" : "stream") + ":" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(userKey)), 0, 16);

    private void Degrade(string reason)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogDegraded(logger, reason);
        }
    }

    private void Restored()
    {
        if (Interlocked.Exchange(ref _degraded, 0) == 1)
        {
            LogRestored(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Per-user caps: Redis is unreachable ({Reason}); sessions and streams are counted per instance until it is back")]
    private static partial void LogDegraded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Per-user caps: Redis is back; sessions and streams are counted across instances again")]
    private static partial void LogRestored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Per-user caps: a {Kind} slot could not be freed in Redis ({Reason}); it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, SlotKind kind, string reason);
}

/// <summary>One session or stream a user holds against a per-user cap; disposing it frees the slot (once).</summary>
public sealed class UserSlot : IAsyncDisposable
{
    private readonly UserSlots _owner;
    private int _released;

    internal UserSlot(UserSlots owner, SlotKind kind, string userKey, string id)
    {
        _owner = owner;
        Kind = kind;
        UserKey = userKey;
        Id = id;
    }

    public SlotKind Kind { get; }

    public string UserKey { get; }

    /// <summary>Random: what the slot is called in Redis (no session id or user there).</summary>
    public string Id { get; }

    /// <summary>True when counted in Redis (across instances), false when counted in this instance.</summary>
    internal bool Shared { get; set; }

    /// <summary>Set when a session took this reserved slot over (it frees it when it ends).</summary>
    public bool Adopted { get; set; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _released, 1) == 0 ? _owner.ReleaseAsync(this) : ValueTask.CompletedTask;
}
