namespace MasterMcp.Storage;

/// <summary>A value read from or written to a table, with the keys the caller used and its current ETag.</summary>
public sealed record StoredEntity<T>(string PartitionKey, string RowKey, T Value, string ETag, DateTimeOffset? ExpiresAt);
