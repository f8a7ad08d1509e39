using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using MasterMcp.Storage;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Credentials;

/// <summary>
/// Per-user backend tokens in Table Storage. Keys are hashes of (issuer, subject) and of the backend id; the value is the
/// token set encrypted with AES-256-GCM under the current key of <see cref="TokenKeyRing"/>, bound to its row. Only the
/// expiry is stored in clear, so expired rows can be removed without decrypting.
/// </summary>
public sealed partial class TokenVault(IStoreFactory stores, TokenProtector protector, TimeProvider time, ILogger<TokenVault> logger)
{
    /// <summary>The logical table name.</summary>
    public const string TableName = "tokens";

    private ITableStore Table => stores.GetTable(TableName);

    /// <summary>The token set of a user for a backend, or null.</summary>
    public async Task<TokenSet?> GetAsync(UserIdentity user, string backendId, CancellationToken cancellationToken = default)
    {
        var row = await Table.GetAsync(user.StorageKey, RowKey(backendId), VaultJsonContext.Default.StoredTokenRow, cancellationToken);
        if (row is null)
        {
            return null;
        }
        try
        {
            var json = protector.Unprotect(row.Value.Protected, AssociatedData(user, backendId));
            return JsonSerializer.Deserialize(json, VaultJsonContext.Default.TokenSet);
        }
        catch (CryptographicException ex)
        {
            LogUnreadable(logger, backendId, ex.Message);
            return null;
        }
    }

    /// <summary>Stores (replaces) the token set of a user for a backend.</summary>
    public Task SaveAsync(UserIdentity user, string backendId, TokenSet tokens, CancellationToken cancellationToken = default)
    {
        var row = Protect(user, backendId, tokens);
        return Table.UpsertAsync(user.StorageKey, RowKey(backendId), row, VaultJsonContext.Default.StoredTokenRow, row.ExpiresAt, cancellationToken);
    }

    /// <summary>Forgets a user's tokens for a backend.</summary>
    public Task<bool> DeleteAsync(UserIdentity user, string backendId, CancellationToken cancellationToken = default) =>
        Table.DeleteAsync(user.StorageKey, RowKey(backendId), cancellationToken: cancellationToken);

    /// <summary>The backends a user has tokens for (their connections).</summary>
    public async Task<IReadOnlyList<string>> BackendsOfAsync(UserIdentity user, CancellationToken cancellationToken = default)
    {
        var result = new List<string>();
        await foreach (var row in Table.QueryPartitionAsync(user.StorageKey, VaultJsonContext.Default.StoredTokenRow, cancellationToken))
        {
            result.Add(row.Value.BackendId);
        }
        return result;
    }

    /// <summary>Re-encrypts every row written with an older key under the current key; returns how many rows changed.</summary>
    public async Task<int> RotateAsync(CancellationToken cancellationToken = default)
    {
        var rotated = 0;
        await foreach (var row in Table.QueryAllAsync(VaultJsonContext.Default.StoredTokenRow, cancellationToken))
        {
            if (TokenProtector.KeyIdOf(row.Value.Protected) == protector.Keys.CurrentKeyId)
            {
                continue;
            }
            var associated = row.Value.AssociatedData;
            string plaintext;
            try
            {
                plaintext = protector.Unprotect(row.Value.Protected, associated);
            }
            catch (CryptographicException ex)
            {
                // Left as it is: its user is asked to connect again when it is next needed (GetAsync).
                LogUnreadable(logger, row.Value.BackendId, ex.Message);
                continue;
            }
            var updated = row.Value with { Protected = protector.Protect(plaintext, associated) };
            try
            {
                await Table.UpdateAsync(row.PartitionKey, row.RowKey, updated, row.ETag, VaultJsonContext.Default.StoredTokenRow, row.ExpiresAt, cancellationToken);
                rotated++;
            }
            catch (StoreConflictException)
            {
                // Rewritten meanwhile, necessarily under the current key.
            }
        }
        LogRotated(logger, rotated, protector.Keys.CurrentKeyId);
        return rotated;
    }

    /// <summary>Removes rows whose tokens have expired (and cannot be refreshed); returns how many.</summary>
    public Task<int> DeleteExpiredAsync(CancellationToken cancellationToken = default) => Table.DeleteExpiredAsync(time.GetUtcNow(), cancellationToken);

    private StoredTokenRow Protect(UserIdentity user, string backendId, TokenSet tokens)
    {
        var associated = AssociatedData(user, backendId);
        // A row lives as long as it is useful: until the access token expires, or indefinitely while a refresh token exists.
        var expires = tokens.RefreshToken is null ? tokens.ExpiresAt : null;
        return new StoredTokenRow(backendId, associated, protector.Protect(JsonSerializer.Serialize(tokens, VaultJsonContext.Default.TokenSet), associated), expires);
    }

    private static string RowKey(string backendId) => TableKey.Hash(backendId);

    private static string AssociatedData(UserIdentity user, string backendId) => user.StorageKey + "|" + backendId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored token for backend {BackendId} cannot be read ({Reason}); the user will be asked to connect again")]
    private static partial void LogUnreadable(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token key rotation: {Count} row(s) re-encrypted under key {KeyId}")]
    private static partial void LogRotated(ILogger logger, int count, string keyId);
}

/// <summary>A token row: the backend id, the associated data the value is bound to, the protected value and its expiry.</summary>
public sealed record StoredTokenRow(string BackendId, string AssociatedData, string Protected, DateTimeOffset? ExpiresAt);

[JsonSerializable(typeof(StoredTokenRow))]
[JsonSerializable(typeof(TokenSet))]
internal sealed partial class VaultJsonContext : JsonSerializerContext;
