using System.Collections.Concurrent;

namespace MasterMcp.Storage;

/// <summary>An <see cref="IStoreFactory"/> over <see cref="InMemoryTableStore"/>s; set <see cref="IsUnavailable"/> to simulate an outage. For tests only.</summary>
public sealed class InMemoryStoreFactory : IStoreFactory
{
    private readonly ConcurrentDictionary<string, InMemoryTableStore> _stores = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    /// <summary>Creates the factory; expiry is judged by <paramref name="timeProvider"/>.</summary>
    public InMemoryStoreFactory(TimeProvider? timeProvider = null, string tablePrefix = "mastermcp")
    {
        _time = timeProvider ?? TimeProvider.System;
        TablePrefix = tablePrefix;
    }

    /// <summary>Prefix applied to table names, as with <see cref="TableStoreFactory"/>.</summary>
    public string TablePrefix { get; }

    /// <summary>When true, <see cref="CheckAsync"/> and every store operation throw <see cref="StorageUnavailableException"/>.</summary>
    public bool IsUnavailable { get; set; }

    /// <inheritdoc />
    public ITableStore GetTable(string name) =>
        _stores.GetOrAdd(
            TableStoreFactory.GetTableName(TablePrefix, name),
            static (tableName, self) => new InMemoryTableStore(tableName, self._time, () => self.IsUnavailable),
            this);

    /// <inheritdoc />
    public Task CheckAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return IsUnavailable
            ? Task.FromException(new StorageUnavailableException("memory", "the in-memory store is marked unavailable"))
            : Task.CompletedTask;
    }
}
