using System.Text.Json.Serialization;
using MasterMcp.Storage;

namespace MasterMcp.Credentials;

/// <summary>
/// One refresh at a time per (user, backend) across all instances: a lease row in Table Storage taken with an insert (or
/// an ETag-guarded takeover of an expired lease), released by an ETag-guarded delete. Providers that rotate refresh
/// tokens revoke the whole grant when a refresh token is used twice, so concurrent refreshes must never happen.
/// </summary>
public sealed class RefreshLease(IStoreFactory stores, TimeProvider time)
{
    /// <summary>The table of leases.</summary>
    public const string TableName = "tokenleases";

    /// <summary>How long a lease holds when its holder dies without releasing it.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);

    private ITableStore Table => stores.GetTable(TableName);

    /// <summary>A held lease.</summary>
    public sealed record Held(string PartitionKey, string RowKey, string ETag);

    /// <summary>Takes the lease, or returns null when someone else holds it.</summary>
    public async Task<Held?> TryAcquireAsync(UserIdentity user, string backendId, CancellationToken cancellationToken)
    {
        var row = TableKey.Hash(backendId);
        var until = time.GetUtcNow() + Duration;
        var lease = new LeaseRow(Guid.NewGuid().ToString("N"), until);
        try
        {
            var added = await Table.AddAsync(user.StorageKey, row, lease, LeaseJsonContext.Default.LeaseRow, until, cancellationToken);
            return new Held(user.StorageKey, row, added.ETag);
        }
        catch (StoreConflictException)
        {
        }
        var existing = await Table.GetAsync(user.StorageKey, row, LeaseJsonContext.Default.LeaseRow, cancellationToken);
        if (existing is null || existing.Value.Until <= time.GetUtcNow())
        {
            try
            {
                var taken = existing is null
                    ? await Table.AddAsync(user.StorageKey, row, lease, LeaseJsonContext.Default.LeaseRow, until, cancellationToken)
                    : await Table.UpdateAsync(user.StorageKey, row, lease, existing.ETag, LeaseJsonContext.Default.LeaseRow, until, cancellationToken);
                return new Held(user.StorageKey, row, taken.ETag);
            }
            catch (StoreConflictException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>Releases a lease (only if it is still ours).</summary>
    public async Task ReleaseAsync(Held lease)
    {
        try
        {
            await Table.DeleteAsync(lease.PartitionKey, lease.RowKey, lease.ETag, CancellationToken.None);
        }
        catch (StoreConflictException)
        {
            // Expired and taken over meanwhile: not ours to delete.
        }
    }
}

/// <summary>A lease: who holds it and until when.</summary>
public sealed record LeaseRow(string Holder, DateTimeOffset Until);

[JsonSerializable(typeof(LeaseRow))]
internal sealed partial class LeaseJsonContext : JsonSerializerContext;
