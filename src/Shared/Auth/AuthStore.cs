using System.Text.Json.Serialization.Metadata;
using MasterMcp.Storage;

namespace MasterMcp.Auth;

/// <summary>
/// The authorization server's state in one table, one partition per kind. Everything a flow needs is here, so a flow
/// started on one instance finishes on another.
/// </summary>
public sealed class AuthStore(IStoreFactory stores)
{
    public const string Clients = "client";
    public const string Pending = "pending";
    public const string Logins = "login";
    public const string Codes = "code";
    public const string RefreshTokens = "refresh";
    public const string Families = "family";
    public const string Consents = "consent";
    public const string BrowserSessions = "browser";

    /// <summary>The table.</summary>
    public ITableStore Table => stores.GetTable("oauth");

    public Task<StoredEntity<T>?> GetAsync<T>(string partition, string row, JsonTypeInfo<T> type, CancellationToken ct) => Table.GetAsync(partition, row, type, ct);

    public Task<StoredEntity<T>> AddAsync<T>(string partition, string row, T value, JsonTypeInfo<T> type, DateTimeOffset? expires, CancellationToken ct) =>
        Table.AddAsync(partition, row, value, type, expires, ct);

    public Task<StoredEntity<T>> UpsertAsync<T>(string partition, string row, T value, JsonTypeInfo<T> type, DateTimeOffset? expires, CancellationToken ct) =>
        Table.UpsertAsync(partition, row, value, type, expires, ct);

    /// <summary>Reads and deletes an entity in one step that only one caller can win (ETag-guarded delete).</summary>
    public async Task<T?> TakeAsync<T>(string partition, string row, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        var entity = await Table.GetAsync(partition, row, type, ct);
        if (entity is null)
        {
            return null;
        }
        try
        {
            return await Table.DeleteAsync(partition, row, entity.ETag, ct) ? entity.Value : null;
        }
        catch (StoreConflictException)
        {
            return null;
        }
    }
}
