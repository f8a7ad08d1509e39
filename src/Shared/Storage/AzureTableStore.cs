using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Data.Tables;

namespace MasterMcp.Storage;

/// <summary>
/// An <see cref="ITableStore"/> over one Azure table. Keys pass through <see cref="TableKey.Encode"/>; values are JSON
/// (split over several properties above 32K chars, refused with <see cref="ArgumentException"/> above
/// <see cref="EntityLayout.MaxValueChars"/>). The table is created on first use.
/// </summary>
public sealed class AzureTableStore : ITableStore
{
    private const int DeletePageSize = 100;
    private const int DeleteParallelism = 8;

    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly TimeSpan _timeout;
    private readonly IReadOnlyList<string> _secrets;
    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Creates a store over a table client; the table is created on first use.</summary>
    public AzureTableStore(TableClient table, TimeProvider? timeProvider = null)
        : this(table, timeProvider ?? TimeProvider.System, StorageErrors.Redact(table.Uri), TimeSpan.FromSeconds(5), [])
    {
    }

    internal AzureTableStore(TableClient table, TimeProvider timeProvider, string endpoint, TimeSpan timeout, IReadOnlyList<string> secrets)
    {
        _table = table;
        _time = timeProvider;
        _endpoint = endpoint;
        _timeout = timeout;
        _secrets = secrets;
    }

    /// <summary>The physical table name (prefix + logical name).</summary>
    public string Name => _table.Name;

    /// <inheritdoc />
    public Task<StoredEntity<T>?> GetAsync<T>(string partitionKey, string rowKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        CheckKeys(partitionKey, rowKey);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return RunAsync(async () =>
        {
            var entity = await ReadAsync(partitionKey, rowKey, cancellationToken);
            return entity is null || IsExpired(entity) ? null : ToStored(entity, typeInfo);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> AddAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var entity = Build(partitionKey, rowKey, value, typeInfo, expiresAt);
        return RunAsync(async () =>
        {
            try
            {
                var response = await _table.AddEntityAsync(entity, cancellationToken);
                return Stored(partitionKey, rowKey, value, response.Headers.ETag, expiresAt);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // An expired row is invisible to readers, so adding over it must succeed; replace it only if nobody else did first.
                var existing = await ReadAsync(partitionKey, rowKey, cancellationToken);
                if (existing is null || !IsExpired(existing))
                {
                    throw Conflict(partitionKey, rowKey, "the entity already exists", ex);
                }

                try
                {
                    var response = await _table.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken);
                    return Stored(partitionKey, rowKey, value, response.Headers.ETag, expiresAt);
                }
                catch (RequestFailedException inner) when (inner.Status is 404 or 412)
                {
                    throw Conflict(partitionKey, rowKey, "the entity was written concurrently", inner);
                }
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> UpsertAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var entity = Build(partitionKey, rowKey, value, typeInfo, expiresAt);
        return RunAsync(async () =>
        {
            var response = await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
            return Stored(partitionKey, rowKey, value, response.Headers.ETag, expiresAt);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredEntity<T>> UpdateAsync<T>(string partitionKey, string rowKey, T value, string etag, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        var entity = Build(partitionKey, rowKey, value, typeInfo, expiresAt);
        return RunAsync(async () =>
        {
            try
            {
                var response = await _table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken);
                return Stored(partitionKey, rowKey, value, response.Headers.ETag, expiresAt);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412 && !IsTableNotFound(ex))
            {
                throw Conflict(partitionKey, rowKey, ex.Status == 404 ? "the entity no longer exists" : "the entity changed since it was read", ex);
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string partitionKey, string rowKey, string? etag = null, CancellationToken cancellationToken = default)
    {
        CheckKeys(partitionKey, rowKey);
        return RunAsync(async () =>
        {
            try
            {
                var response = await _table.DeleteEntityAsync(
                    TableKey.Encode(partitionKey), TableKey.Encode(rowKey), etag is null ? ETag.All : new ETag(etag), cancellationToken);
                return response.Status != 404;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && !IsTableNotFound(ex))
            {
                return false;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                throw Conflict(partitionKey, rowKey, "the entity changed since it was read", ex);
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEntity<T>> QueryPartitionAsync<T>(string partitionKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        EntityLayout.CheckKey(partitionKey, nameof(partitionKey));
        ArgumentNullException.ThrowIfNull(typeInfo);
        return QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {TableKey.Encode(partitionKey)}"), typeInfo, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEntity<T>> QueryAllAsync<T>(JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return QueryAsync(null, typeInfo, cancellationToken);
    }

    private async IAsyncEnumerable<StoredEntity<T>> QueryAsync<T>(string? filter, JsonTypeInfo<T> typeInfo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCreatedAsync(cancellationToken);
        }
        catch (Exception ex) when (StorageErrors.IsUnavailable(ex, cancellationToken))
        {
            throw StorageErrors.Unavailable(_endpoint, ex, _timeout, _secrets);
        }

        var entities = _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (entities)
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await entities.MoveNextAsync();
                }
                catch (Exception ex) when (StorageErrors.IsUnavailable(ex, cancellationToken))
                {
                    throw StorageErrors.Unavailable(_endpoint, ex, _timeout, _secrets);
                }
                catch (RequestFailedException ex) when (IsTableNotFound(ex))
                {
                    // The table was deleted behind our back: it holds nothing, and the next write recreates it.
                    ForgetCreated();
                    more = false;
                }

                if (!more)
                {
                    yield break;
                }

                if (!IsExpired(entities.Current))
                {
                    yield return ToStored(entities.Current, typeInfo);
                }
            }
        }
    }

    /// <inheritdoc />
    public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            // The property name must be literal text: an interpolated hole would be quoted as a string constant.
            var filter = TableClient.CreateQueryFilter($"ExpiresAt le {now.ToUniversalTime()}");
            var deleted = 0;
            var pages = _table.QueryAsync<TableEntity>(filter, DeletePageSize, ["PartitionKey", "RowKey"], cancellationToken).AsPages();
            await foreach (var page in pages)
            {
                await Parallel.ForEachAsync(
                    page.Values,
                    new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken },
                    async (entity, ct) =>
                    {
                        try
                        {
                            // The ETag guard keeps a row whose expiry was extended after the query.
                            var response = await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, ct);
                            if (response.Status != 404)
                            {
                                Interlocked.Increment(ref deleted);
                            }
                        }
                        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                        {
                        }
                    });
            }

            return deleted;
        }, cancellationToken);

    private async Task<TableEntity?> ReadAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(
            TableKey.Encode(partitionKey), TableKey.Encode(rowKey), cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    private TableEntity Build<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt)
    {
        CheckKeys(partitionKey, rowKey);
        ArgumentNullException.ThrowIfNull(typeInfo);
        var json = JsonSerializer.Serialize(value, typeInfo);
        EntityLayout.CheckValue(json, Name);
        return EntityLayout.Create(TableKey.Encode(partitionKey), TableKey.Encode(rowKey), partitionKey, rowKey, json, expiresAt);
    }

    private bool IsExpired(TableEntity entity) =>
        entity.GetDateTimeOffset(EntityLayout.ExpiresAt) is { } expiresAt && expiresAt <= _time.GetUtcNow();

    private static StoredEntity<T> ToStored<T>(TableEntity entity, JsonTypeInfo<T> typeInfo) => new(
        EntityLayout.ReadKey(entity, EntityLayout.Pk, entity.PartitionKey),
        EntityLayout.ReadKey(entity, EntityLayout.Rk, entity.RowKey),
        JsonSerializer.Deserialize(EntityLayout.ReadData(entity), typeInfo)!,
        entity.ETag.ToString(),
        entity.GetDateTimeOffset(EntityLayout.ExpiresAt));

    private static StoredEntity<T> Stored<T>(string partitionKey, string rowKey, T value, ETag? etag, DateTimeOffset? expiresAt) =>
        new(partitionKey, rowKey, value, etag?.ToString() ?? "", expiresAt);

    private static void CheckKeys(string partitionKey, string rowKey)
    {
        EntityLayout.CheckKey(partitionKey, nameof(partitionKey));
        EntityLayout.CheckKey(rowKey, nameof(rowKey));
    }

    private StoreConflictException Conflict(string partitionKey, string rowKey, string reason, Exception inner) =>
        new(Name, partitionKey, rowKey, reason, inner);

    private static bool IsTableNotFound(RequestFailedException ex) =>
        ex.Status == 404 && string.Equals(ex.ErrorCode, "TableNotFound", StringComparison.Ordinal);

    /// <summary>Ensures the table, runs the operation, maps unreachable storage, and recreates a table deleted behind our back once.</summary>
    private async Task<TResult> RunAsync<TResult>(Func<Task<TResult>> operation, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCreatedAsync(cancellationToken);
            try
            {
                return await operation();
            }
            catch (RequestFailedException ex) when (IsTableNotFound(ex))
            {
                ForgetCreated();
                await EnsureCreatedAsync(cancellationToken);
                return await operation();
            }
        }
        catch (Exception ex) when (StorageErrors.IsUnavailable(ex, cancellationToken))
        {
            throw StorageErrors.Unavailable(_endpoint, ex, _timeout, _secrets);
        }
    }

    private Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        Task created;
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                // Not tied to one caller's token: the creation is shared by every caller waiting on it.
                _created = _table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            created = _created;
        }

        return created.IsCompletedSuccessfully ? Task.CompletedTask : created.WaitAsync(cancellationToken);
    }

    private void ForgetCreated()
    {
        lock (_gate)
        {
            _created = null;
        }
    }
}
