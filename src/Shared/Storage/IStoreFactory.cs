namespace MasterMcp.Storage;

/// <summary>Hands out table stores (creating tables on first use) and checks that storage answers.</summary>
public interface IStoreFactory
{
    /// <summary>The store for one table; the name is a logical name such as "sessions".</summary>
    ITableStore GetTable(string name);

    /// <summary>Throws <see cref="StorageUnavailableException"/> when storage cannot be reached.</summary>
    Task CheckAsync(CancellationToken cancellationToken = default);
}
