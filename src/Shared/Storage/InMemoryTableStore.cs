using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MasterMcp.Storage;

/// <summary>
/// An <see cref="ITableStore"/> in process memory with the same semantics as <see cref="AzureTableStore"/>
/// (JSON copies, ETags, conflicts, expiry by the injected <see cref="TimeProvider"/>, size limits). For tests only.
/// </summary>
public sealed class InMemoryTableStore : ITableStore
{
    private readonly Dictionary<(string Pk, string Rk), Row> _rows = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Func<bool> _isUnavailable;
    private long _version;

    /// <summary>Creates an empty store.</summary>
    public InMemoryTableStore(string name, TimeProvider? timeProvider = null)
        : this(name, timeProvider ?? TimeProvider.System, static () => false)
    {
    }

    internal InMemoryTableStore(string name, TimeProvider timeProvider, Func<bool> isUnavailable)
    {
        Name = name;
        _time = timeProvider;
        _isUnavailable = isUnavailable;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Rows held, expired ones included (they stay until <see cref="DeleteExpiredAsync"/>).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _rows.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>?> GetAsync<T>(string partitionKey, string rowKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckKeys(partitionKey, rowKey);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ThrowIfUnavailable(cancellationToken);
        Row? row;
        lock (_gate)
        {
            _rows.TryGetValue((partitionKey, rowKey), out row);
        }

        return Task.FromResult(row is null || IsExpired(row) ? null : ToStored(partitionKey, rowKey, row, typeInfo));
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> AddAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var json = Serialize(partitionKey, rowKey, value, typeInfo, cancellationToken);
        lock (_gate)
        {
            if (_rows.TryGetValue((partitionKey, rowKey), out var existing) && !IsExpired(existing))
            {
                throw new StoreConflictException(Name, partitionKey, rowKey, "the entity already exists");
            }

            return Task.FromResult(Write(partitionKey, rowKey, value, json, expiresAt));
        }
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> UpsertAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var json = Serialize(partitionKey, rowKey, value, typeInfo, cancellationToken);
        lock (_gate)
        {
            return Task.FromResult(Write(partitionKey, rowKey, value, json, expiresAt));
        }
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> UpdateAsync<T>(string partitionKey, string rowKey, T value, string etag, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        var json = Serialize(partitionKey, rowKey, value, typeInfo, cancellationToken);
        lock (_gate)
        {
            if (!_rows.TryGetValue((partitionKey, rowKey), out var existing))
            {
                throw new StoreConflictException(Name, partitionKey, rowKey, "the entity no longer exists");
            }

            if (etag != "*" && existing.ETag != etag)
            {
                throw new StoreConflictException(Name, partitionKey, rowKey, "the entity changed since it was read");
            }

            return Task.FromResult(Write(partitionKey, rowKey, value, json, expiresAt));
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string partitionKey, string rowKey, string? etag = null, CancellationToken cancellationToken = default)
    {
        CheckKeys(partitionKey, rowKey);
        ThrowIfUnavailable(cancellationToken);
        lock (_gate)
        {
            if (!_rows.TryGetValue((partitionKey, rowKey), out var existing))
            {
                return Task.FromResult(false);
            }

            if (etag is not null && etag != "*" && existing.ETag != etag)
            {
                throw new StoreConflictException(Name, partitionKey, rowKey, "the entity changed since it was read");
            }

            return Task.FromResult(_rows.Remove((partitionKey, rowKey)));
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEntity<T>> QueryPartitionAsync<T>(string partitionKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        EntityLayout.CheckKey(partitionKey, nameof(partitionKey));
        return QueryAsync(r => r.Pk == partitionKey, typeInfo, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEntity<T>> QueryAllAsync<T>(JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        QueryAsync(_ => true, typeInfo, cancellationToken);

    private async IAsyncEnumerable<StoredEntity<T>> QueryAsync<T>(Func<(string Pk, string Rk), bool> match, JsonTypeInfo<T> typeInfo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        ThrowIfUnavailable(cancellationToken);
        List<KeyValuePair<(string Pk, string Rk), Row>> rows;
        lock (_gate)
        {
            // Same order as the service: by the encoded partition and row keys, ordinal.
            rows = [.. _rows.Where(r => match(r.Key)).OrderBy(r => TableKey.Encode(r.Key.Pk), StringComparer.Ordinal).ThenBy(r => TableKey.Encode(r.Key.Rk), StringComparer.Ordinal)];
        }

        foreach (var (key, row) in rows)
        {
            if (!IsExpired(row))
            {
                yield return ToStored(key.Pk, key.Rk, row, typeInfo);
            }
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable(cancellationToken);
        lock (_gate)
        {
            var expired = _rows.Where(r => r.Value.ExpiresAt <= now).Select(r => r.Key).ToList();
            foreach (var key in expired)
            {
                _rows.Remove(key);
            }

            return Task.FromResult(expired.Count);
        }
    }

    private string Serialize<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        CheckKeys(partitionKey, rowKey);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ThrowIfUnavailable(cancellationToken);
        var json = JsonSerializer.Serialize(value, typeInfo);
        EntityLayout.CheckValue(json, Name);
        return json;
    }

    private StoredEntity<T> Write<T>(string partitionKey, string rowKey, T value, string json, DateTimeOffset? expiresAt)
    {
        var etag = $"W/\"{++_version}\"";
        _rows[(partitionKey, rowKey)] = new Row(json, etag, expiresAt);
        return new StoredEntity<T>(partitionKey, rowKey, value, etag, expiresAt);
    }

    private bool IsExpired(Row row) => row.ExpiresAt is { } expiresAt && expiresAt <= _time.GetUtcNow();

    private static StoredEntity<T> ToStored<T>(string partitionKey, string rowKey, Row row, JsonTypeInfo<T> typeInfo) =>
        new(partitionKey, rowKey, JsonSerializer.Deserialize(row.Json, typeInfo)!, row.ETag, row.ExpiresAt);

    private static void CheckKeys(string partitionKey, string rowKey)
    {
        EntityLayout.CheckKey(partitionKey, nameof(partitionKey));
        EntityLayout.CheckKey(rowKey, nameof(rowKey));
    }

    private void ThrowIfUnavailable(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_isUnavailable())
        {
            throw new StorageUnavailableException("memory", "the in-memory store is marked unavailable");
        }
    }

    private sealed record Row(string Json, string ETag, DateTimeOffset? ExpiresAt);
}
