using MasterMcp.Backends;
using MasterMcp.Storage;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Admin;

/// <summary>
/// Changes an admin made at run time — disabled backends, deleted OAuth clients, revoked user connections — kept in the
/// <c>admin</c> table so every instance applies the same set. They win over the configuration file until cleared. Each
/// instance re-reads the table every <c>admin.refresh_seconds</c> (the documented bound on propagation), and at once when
/// another instance announces a change on the Redis backplane (<c>scaleout.redis</c>).
/// </summary>
public sealed partial class RuntimeOverrides(IStoreFactory stores, OverrideState state, BackendRegistry registry, Gateway.Catalog catalog, TimeProvider time, ILogger<RuntimeOverrides> logger,
    Scaleout.InstanceIdentity instance, Scaleout.RedisBackplane? backplane = null, Credentials.TokenVault? vault = null)
{
    /// <summary>The logical table name.</summary>
    public const string TableName = "admin";

    /// <summary>The backplane topic on which instances announce that the overrides changed.</summary>
    public const string Topic = "admin-overrides";

    /// <summary>The backplane topic on which an instance asks the others to reconnect a backend (<c>{instance id}\n{backend id}</c>).</summary>
    public const string ReconnectTopic = "admin-reconnect";

    /// <summary>How long a revocation record is kept: long enough for every instance to close that user's sessions.</summary>
    public static readonly TimeSpan RevocationLifetime = TimeSpan.FromDays(1);

    private static readonly byte[] RefreshMessage = "refresh"u8.ToArray();
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly HashSet<string> _appliedRevocations = new(StringComparer.Ordinal);
    private bool _applied;

    /// <summary>The overrides in force on this instance.</summary>
    public OverrideSet Current => state.Current;

    /// <summary>When this instance last read the table successfully.</summary>
    public DateTimeOffset? LastRefresh { get; private set; }

    /// <summary>Why the last read failed (null when it succeeded); the previous set stays in force meanwhile.</summary>
    public string? LastRefreshError { get; private set; }

    private ITableStore Table => stores.GetTable(TableName);

    /// <summary>Reads the table and applies what changed: backends leave or return, revoked users' sessions close.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken);
        try
        {
            var records = new List<OverrideRecord>();
            try
            {
                foreach (var kind in Enum.GetValues<OverrideKind>())
                {
                    await foreach (var entity in Table.QueryPartitionAsync(PartitionOf(kind), AdminJsonContext.Default.OverrideRecord, cancellationToken))
                    {
                        records.Add(entity.Value);
                    }
                }
            }
            catch (Exception ex) when (ExceptionChain(ex) is { } storage)
            {
                LastRefreshError = storage.Message;
                LogRefreshFailed(logger, storage.Message);
                return;
            }
            var next = new OverrideSet(records);
            var previous = state.Current;
            state.Current = next;
            LastRefresh = time.GetUtcNow();
            LastRefreshError = null;
            if (!previous.DisabledBackends.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(next.DisabledBackends.Keys) || !_applied)
            {
                _applied = true;
                await registry.SetDisabledAsync(next.DisabledBackends.Keys.ToHashSet(StringComparer.Ordinal));
            }
            foreach (var revocation in next.Revocations)
            {
                var key = RevocationRow(revocation);
                if (_appliedRevocations.Add(key) && revocation.UserKey is { } userKey)
                {
                    // The token is gone from the shared vault already; this instance's in-memory copy and the sessions
                    // that still hold it end here.
                    vault?.Forget(userKey, revocation.Target);
                    await registry.EndUserSessionsAsync(revocation.Target, userKey);
                    catalog.Invalidate(revocation.Target);
                }
            }
            _appliedRevocations.IntersectWith(next.Revocations.Select(RevocationRow));
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Stores an override, applies it here at once and tells the other instances.</summary>
    public async Task<OverrideRecord> SetAsync(OverrideRecord record, CancellationToken cancellationToken)
    {
        DateTimeOffset? expires = record.Kind == OverrideKind.ConnectionRevoked ? record.At + RevocationLifetime : null;
        var row = record.Kind == OverrideKind.ConnectionRevoked ? RevocationRow(record) : TableKey.Encode(record.Target);
        await Table.UpsertAsync(PartitionOf(record.Kind), row, record, AdminJsonContext.Default.OverrideRecord, expires, cancellationToken);
        await PropagateAsync(cancellationToken);
        return record;
    }

    /// <summary>Clears an override (the configuration file applies again); false when there was none.</summary>
    public async Task<bool> ClearAsync(OverrideKind kind, string target, CancellationToken cancellationToken)
    {
        var removed = await Table.DeleteAsync(PartitionOf(kind), TableKey.Encode(target), cancellationToken: cancellationToken);
        await PropagateAsync(cancellationToken);
        return removed;
    }

    private async Task PropagateAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        if (backplane is null)
        {
            return;
        }
        try
        {
            await backplane.BroadcastAsync(Topic, RefreshMessage);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException)
        {
            // Stored already: the others pick it up at their next periodic read.
            LogBroadcastFailed(logger, ex.Message);
        }
    }

    /// <summary>
    /// Asks every other instance to reconnect <paramref name="backendId"/> (a reconnect is not stored: it is an action, not a
    /// state). False when there is no backplane or it is down: then only this instance reconnected.
    /// </summary>
    public async Task<bool> AnnounceReconnectAsync(string backendId)
    {
        if (backplane is null)
        {
            return false;
        }
        try
        {
            await backplane.BroadcastAsync(ReconnectTopic, System.Text.Encoding.UTF8.GetBytes(instance.Id + "\n" + backendId));
            return true;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException)
        {
            LogReconnectNotAnnounced(logger, backendId, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Another instance's reconnect request: this instance closes its shared session of that backend (reopened on next use,
    /// clients told their lists changed). Its own requests, unknown and disabled backends are ignored.
    /// </summary>
    public async Task OnReconnectRequestedAsync(ReadOnlyMemory<byte> message)
    {
        var text = System.Text.Encoding.UTF8.GetString(message.Span);
        var split = text.IndexOf('\n', StringComparison.Ordinal);
        if (split <= 0 || text[..split] == instance.Id)
        {
            return;
        }
        var backendId = text[(split + 1)..];
        if (registry.Find(backendId) is null || state.Current.DisabledBackends.ContainsKey(backendId))
        {
            return;
        }
        LogReconnectRequested(logger, backendId, text[..split]);
        await registry.ReconnectAsync(backendId);
    }

    private static string PartitionOf(OverrideKind kind) => kind switch
    {
        OverrideKind.BackendDisabled => "backend",
        OverrideKind.ClientDeleted => "client",
        _ => "revocation",
    };

    private static string RevocationRow(OverrideRecord record) =>
        TableKey.Encode((record.UserKey ?? "") + "|" + record.Target + "|" + record.At.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static StorageUnavailableException? ExceptionChain(Exception ex) => Hosting.ExceptionChain.Find<StorageUnavailableException>(ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin overrides could not be read; the previous set stays in force: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin override stored but not announced on the backplane (other instances apply it at their next read): {Reason}")]
    private static partial void LogBroadcastFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin reconnect of backend '{Backend}' not announced on the backplane (only this instance reconnected): {Reason}")]
    private static partial void LogReconnectNotAnnounced(ILogger logger, string backend, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin: reconnecting backend '{Backend}' as instance {Instance} asked")]
    private static partial void LogReconnectRequested(ILogger logger, string backend, string instance);
}
