using System.Text.Json.Serialization.Metadata;

namespace MasterMcp.Storage;

/// <summary>Typed access to one table: values are stored as JSON with an optional expiry, guarded by ETags.</summary>
public interface ITableStore
{
    /// <summary>The table's name.</summary>
    string Name { get; }

    /// <summary>Reads one entity, or null when it does not exist (or has expired).</summary>
    Task<StoredEntity<T>?> GetAsync<T>(string partitionKey, string rowKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Inserts a new entity; throws <see cref="StoreConflictException"/> when it already exists.</summary>
    Task<StoredEntity<T>> AddAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces an entity unconditionally.</summary>
    Task<StoredEntity<T>> UpsertAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces an entity only if its ETag still matches; throws <see cref="StoreConflictException"/> when it changed or vanished.</summary>
    Task<StoredEntity<T>> UpdateAsync<T>(string partitionKey, string rowKey, T value, string etag, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an entity (only if the ETag matches when one is given). Returns false when it did not exist.</summary>
    Task<bool> DeleteAsync(string partitionKey, string rowKey, string? etag = null, CancellationToken cancellationToken = default);

    /// <summary>Every live entity of one partition.</summary>
    IAsyncEnumerable<StoredEntity<T>> QueryPartitionAsync<T>(string partitionKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Every live entity of every partition (maintenance work such as key rotation; scans the whole table).</summary>
    IAsyncEnumerable<StoredEntity<T>> QueryAllAsync<T>(JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Deletes every entity whose expiry is at or before <paramref name="now"/>; returns how many.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}
