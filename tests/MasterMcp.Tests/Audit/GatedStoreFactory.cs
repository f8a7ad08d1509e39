using System.Text.Json.Serialization.Metadata;
using MasterMcp.Storage;

namespace MasterMcp.Tests.Audit;

/// <summary>
/// Real storage, except that writes to one table wait until the test opens the gate: a table that has stopped answering,
/// without the timing of a real outage.
/// </summary>
public sealed class GatedStoreFactory(IStoreFactory inner, string gatedTable) : IStoreFactory
{
    /// <summary>Completed when the first write to the gated table is waiting.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Complete it to let writes through.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ITableStore GetTable(string name) => name == gatedTable ? new Gated(inner.GetTable(name), this) : inner.GetTable(name);

    public Task CheckAsync(CancellationToken cancellationToken = default) => inner.CheckAsync(cancellationToken);

    private sealed class Gated(ITableStore table, GatedStoreFactory gate) : ITableStore
    {
        public string Name => table.Name;

        public async Task<StoredEntity<T>> AddAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
        {
            gate.Entered.TrySetResult();
            await gate.Release.Task.WaitAsync(cancellationToken);
            return await table.AddAsync(partitionKey, rowKey, value, typeInfo, expiresAt, cancellationToken);
        }

        public Task<StoredEntity<T>?> GetAsync<T>(string partitionKey, string rowKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
            table.GetAsync(partitionKey, rowKey, typeInfo, cancellationToken);

        public Task<StoredEntity<T>> UpsertAsync<T>(string partitionKey, string rowKey, T value, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default) =>
            table.UpsertAsync(partitionKey, rowKey, value, typeInfo, expiresAt, cancellationToken);

        public Task<StoredEntity<T>> UpdateAsync<T>(string partitionKey, string rowKey, T value, string etag, JsonTypeInfo<T> typeInfo, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default) =>
            table.UpdateAsync(partitionKey, rowKey, value, etag, typeInfo, expiresAt, cancellationToken);

        public Task<bool> DeleteAsync(string partitionKey, string rowKey, string? etag = null, CancellationToken cancellationToken = default) =>
            table.DeleteAsync(partitionKey, rowKey, etag, cancellationToken);

        public IAsyncEnumerable<StoredEntity<T>> QueryPartitionAsync<T>(string partitionKey, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
            table.QueryPartitionAsync(partitionKey, typeInfo, cancellationToken);

        public IAsyncEnumerable<StoredEntity<T>> QueryAllAsync<T>(JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
            table.QueryAllAsync(typeInfo, cancellationToken);

        public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => table.DeleteExpiredAsync(now, cancellationToken);
    }
}
