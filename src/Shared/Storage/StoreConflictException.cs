namespace MasterMcp.Storage;

/// <summary>
/// A conditional write lost: the entity already exists (add), or changed or vanished since it was read (update, delete).
/// The keys are properties, not part of the message, because callers use subjects and URLs as keys.
/// </summary>
public sealed class StoreConflictException : Exception
{
    /// <summary>Creates the exception for one entity of a table.</summary>
    public StoreConflictException(string table, string partitionKey, string rowKey, string reason, Exception? innerException = null)
        : base($"Conflicting write to table '{table}': {reason}", innerException)
    {
        Table = table;
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    /// <summary>The table written to.</summary>
    public string Table { get; }

    /// <summary>The caller's partition key.</summary>
    public string PartitionKey { get; }

    /// <summary>The caller's row key.</summary>
    public string RowKey { get; }
}
