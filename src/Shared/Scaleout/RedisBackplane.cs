using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace MasterMcp.Scaleout;

/// <summary>
/// The connection to Redis that instances share: one pub/sub channel per instance (<c>{prefix}instance:{id}</c>), read in
/// order, and the deployment's session-routing key. No membership list: an instance that is gone simply has no
/// subscriber, which <see cref="PublishAsync"/> reports as 0 receivers.
/// </summary>
public sealed partial class RedisBackplane : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _prefix;
    private readonly InstanceIdentity _instance;
    private readonly ILogger<RedisBackplane> _logger;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ConnectionMultiplexer? _redis;
    private ChannelMessageQueue? _queue;
    private byte[]? _routingKey;

    public RedisBackplane(string connectionString, string prefix, InstanceIdentity instance, ILogger<RedisBackplane> logger)
    {
        _connectionString = connectionString;
        _prefix = prefix;
        _instance = instance;
        _logger = logger;
    }

    /// <summary>After Redis comes back, how long every instance may still be re-subscribing.</summary>
    private static readonly TimeSpan ResubscribeGrace = TimeSpan.FromSeconds(5);

    private long _restoredAt = Environment.TickCount64 - (long)ResubscribeGrace.TotalMilliseconds - 1;

    /// <summary>True while the connection to Redis is up.</summary>
    public bool IsConnected => _redis?.IsConnected == true;

    /// <summary>
    /// True when an instance without a subscriber can be taken as gone: connected, and not just reconnected (after Redis
    /// restarts, each instance re-subscribes on its own reconnect, so for a moment live instances have no subscriber).
    /// </summary>
    public bool IsSettled => IsConnected && Environment.TickCount64 - Interlocked.Read(ref _restoredAt) > ResubscribeGrace.TotalMilliseconds;

    /// <summary>Connects and starts delivering this instance's messages, in the order they were published, to <paramref name="onMessage"/>.</summary>
    public async Task StartAsync(Func<ReadOnlyMemory<byte>, Task> onMessage, CancellationToken cancellationToken)
    {
        var redis = await ConnectAsync(cancellationToken);
        _queue = await redis.GetSubscriber().SubscribeAsync(Channel(_instance.Id));
        _queue.OnMessage(async message =>
        {
            try
            {
                await onMessage((ReadOnlyMemory<byte>)message.Message);
            }
            catch (Exception ex)
            {
                LogDispatchFailed(_logger, ex);
            }
        });
        LogJoined(_logger, _instance.Id);
    }

    /// <summary>Publishes to an instance's channel; returns how many subscribers received it (0: that instance is gone).</summary>
    public async Task<long> PublishAsync(string instanceId, ReadOnlyMemory<byte> message)
    {
        var redis = await ConnectAsync(CancellationToken.None);
        return await redis.GetSubscriber().PublishAsync(Channel(instanceId), message);
    }

    /// <summary>
    /// Delivers every message published with <see cref="BroadcastAsync"/> on <paramref name="topic"/> to <paramref name="onMessage"/>
    /// (every instance subscribes; used for changes all instances must apply, such as admin overrides).
    /// </summary>
    public async Task SubscribeBroadcastAsync(string topic, Func<ReadOnlyMemory<byte>, Task> onMessage, CancellationToken cancellationToken)
    {
        var redis = await ConnectAsync(cancellationToken);
        var queue = await redis.GetSubscriber().SubscribeAsync(BroadcastChannel(topic));
        queue.OnMessage(async message =>
        {
            try
            {
                await onMessage((ReadOnlyMemory<byte>)message.Message);
            }
            catch (Exception ex)
            {
                LogDispatchFailed(_logger, ex);
            }
        });
    }

    /// <summary>Publishes to every instance subscribed to <paramref name="topic"/>; returns how many received it.</summary>
    public async Task<long> BroadcastAsync(string topic, ReadOnlyMemory<byte> message)
    {
        var redis = await ConnectAsync(CancellationToken.None);
        return await redis.GetSubscriber().PublishAsync(BroadcastChannel(topic), message);
    }

    /// <summary>How many subscribers an instance's channel has (0: that instance is gone).</summary>
    public async Task<long> ListenersAsync(string instanceId)
    {
        var redis = await ConnectAsync(CancellationToken.None);
        var result = await redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", (RedisKey)Channel(instanceId).ToString());
        var pairs = (RedisResult[])result!;
        return pairs.Length >= 2 ? (long)pairs[1] : 0;
    }

    /// <summary>Stops receiving messages: from now on other instances see this one as gone.</summary>
    public async Task LeaveAsync()
    {
        if (_queue is { } queue)
        {
            _queue = null;
            await queue.UnsubscribeAsync();
            LogLeft(_logger, _instance.Id);
        }
    }

    /// <summary>The key that signs session ids, shared by every instance of the deployment (created once, kept in Redis).</summary>
    public async ValueTask<byte[]> RoutingKeyAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _routingKey) is { } known)
        {
            return known;
        }
        var redis = await ConnectAsync(cancellationToken);
        var db = redis.GetDatabase();
        var name = new RedisKey(_prefix + "session-routing-key");
        await db.StringSetAsync(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), when: When.NotExists);
        var stored = await db.StringGetAsync(name);
        var key = Convert.FromBase64String(stored.ToString());
        Volatile.Write(ref _routingKey, key);
        return key;
    }

    /// <summary>The deployment's prefix of Redis keys (<c>scaleout.key_prefix</c>).</summary>
    public string KeyPrefix => _prefix;

    /// <summary>Runs a Lua script (cached by hash); fails at once while Redis is unreachable.</summary>
    public async Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        var redis = await ConnectAsync(CancellationToken.None);
        return await redis.GetDatabase().ScriptEvaluateAsync(script, keys, values);
    }

    /// <summary>Round trip to Redis (for /ready).</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken)
    {
        var redis = await ConnectAsync(cancellationToken);
        return await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
    }

    private RedisChannel Channel(string instanceId) => RedisChannel.Literal(_prefix + "instance:" + instanceId);

    private RedisChannel BroadcastChannel(string topic) => RedisChannel.Literal(_prefix + "broadcast:" + topic);

    private async ValueTask<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_redis is { } existing)
        {
            return existing;
        }
        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_redis is null)
            {
                var options = ConfigurationOptions.Parse(_connectionString);
                // Keep retrying in the background when Redis is down at start instead of failing the first call for good.
                options.AbortOnConnectFail = false;
                // While Redis is down, fail at once (the caller answers with a clear error) instead of queueing.
                options.BacklogPolicy = BacklogPolicy.FailFast;
                options.ClientName = "mastermcp-" + _instance.Id;
                var redis = await ConnectionMultiplexer.ConnectAsync(options);
                redis.ConnectionRestored += (_, _) => Interlocked.Exchange(ref _restoredAt, Environment.TickCount64);
                redis.ConnectionFailed += (_, _) => Interlocked.Exchange(ref _restoredAt, Environment.TickCount64);
                _redis = redis;
            }
            return _redis;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await LeaveAsync();
        if (_redis is { } redis)
        {
            await redis.DisposeAsync();
        }
        _connectGate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined the Redis backplane as instance {InstanceId}")]
    private static partial void LogJoined(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {InstanceId} left the Redis backplane")]
    private static partial void LogLeft(ILogger logger, string instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A backplane message could not be handled")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);
}
