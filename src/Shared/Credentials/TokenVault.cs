using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using MasterMcp.Configuration;
using MasterMcp.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Credentials;

/// <summary>
/// Per-user backend tokens in Table Storage. Keys are hashes of (issuer, subject) and of the backend id; the value is the
/// token set encrypted with AES-256-GCM under the current key of <see cref="TokenKeyRing"/>, bound to its row. Only the
/// expiry is stored in clear, so expired rows can be removed without decrypting.
/// Decrypted token sets found or written here are kept in process memory (never anywhere else) for
/// <c>credentials.cache_seconds</c> and never past the access token's expiry, so a call reads the store at most once
/// (usually not at all); this instance's own writes and deletes replace or drop the copy at once, another instance's are
/// seen within that time. <see cref="ReadAsync"/> always reads the store (refreshes need the latest row).
/// </summary>
public sealed partial class TokenVault(IStoreFactory stores, TokenProtector protector, TimeProvider time, ILogger<TokenVault> logger, IOptionsMonitor<GatewayOptions>? options = null)
{
    /// <summary>The logical table name.</summary>
    public const string TableName = "tokens";

    // Bounds the in-memory copies: past this many, the expired ones are dropped, and if that is not enough, all of them.
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<(string User, string Backend), Cached> _cache = new();
    // Bumped by every write and delete: a store read that began before one must not cache what it found.
    private long _generation;
    private long _storeReads;

    private sealed record Cached(TokenSet Tokens, DateTimeOffset Until);

    private ITableStore Table => stores.GetTable(TableName);

    /// <summary>How many times this vault read a token row from the store (what tests observe the cache by).</summary>
    public long StoreReads => Interlocked.Read(ref _storeReads);

    /// <summary>The token set of a user for a backend, or null: from memory while the copy is fresh, else from the store.</summary>
    public Task<TokenSet?> GetAsync(UserIdentity user, string backendId, CancellationToken cancellationToken = default) =>
        _cache.TryGetValue((user.StorageKey, backendId), out var cached) && time.GetUtcNow() < cached.Until
            ? Task.FromResult<TokenSet?>(cached.Tokens)
            : ReadAsync(user, backendId, cancellationToken);

    /// <summary>The token set of a user for a backend as the store has it now (another instance may have changed it), or null.</summary>
    public async Task<TokenSet?> ReadAsync(UserIdentity user, string backendId, CancellationToken cancellationToken = default)
    {
        var generation = Interlocked.Read(ref _generation);
        Interlocked.Increment(ref _storeReads);
        var row = await Table.GetAsync(user.StorageKey, RowKey(backendId), VaultJsonContext.Default.StoredTokenRow, cancellationToken);
        TokenSet? tokens = null;
        if (row is not null)
        {
            try
            {
                var json = protector.Unprotect(row.Value.Protected, AssociatedData(user, backendId));
                tokens = JsonSerializer.Deserialize(json, VaultJsonContext.Default.TokenSet);
            }
            catch (CryptographicException ex)
            {
                LogUnreadable(logger, backendId, ex.Message);
            }
        }
        if (tokens is null)
        {
            _cache.TryRemove((user.StorageKey, backendId), out _);
        }
        else if (Interlocked.Read(ref _generation) == generation)
        {
            Remember(user, backendId, tokens);
        }
        return tokens;
    }

    /// <summary>Stores (replaces) the token set of a user for a backend.</summary>
    public async Task SaveAsync(UserIdentity user, string backendId, TokenSet tokens, CancellationToken cancellationToken = default)
    {
        var row = Protect(user, backendId, tokens);
        Forget(user, backendId);
        await Table.UpsertAsync(user.StorageKey, RowKey(backendId), row, VaultJsonContext.Default.StoredTokenRow, row.ExpiresAt, cancellationToken);
        Interlocked.Increment(ref _generation);
        Remember(user, backendId, tokens);
    }

    /// <summary>Forgets a user's tokens for a backend.</summary>
    public async Task<bool> DeleteAsync(UserIdentity user, string backendId, CancellationToken cancellationToken = default)
    {
        Forget(user, backendId);
        try
        {
            return await Table.DeleteAsync(user.StorageKey, RowKey(backendId), cancellationToken: cancellationToken);
        }
        finally
        {
            // Again after the delete: a read that raced with it must not leave the old tokens behind.
            Forget(user, backendId);
        }
    }

    private void Forget(UserIdentity user, string backendId) => Forget(user.StorageKey, backendId);

    /// <summary>
    /// Drops this instance's in-memory copy of a user's tokens for a backend (the store is untouched): for a connection
    /// removed on another instance, so this one stops using it before <c>credentials.cache_seconds</c> ends.
    /// </summary>
    public void Forget(string userStorageKey, string backendId)
    {
        Interlocked.Increment(ref _generation);
        _cache.TryRemove((userStorageKey, backendId), out _);
    }

    private void Remember(UserIdentity user, string backendId, TokenSet tokens)
    {
        var seconds = options?.CurrentValue.Credentials.CacheSeconds ?? 0;
        if (seconds <= 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var until = now + TimeSpan.FromSeconds(seconds);
        if (tokens.ExpiresAt is { } expires && expires < until)
        {
            until = expires;
        }
        if (until <= now)
        {
            return;
        }
        if (_cache.Count >= MaxCached)
        {
            foreach (var (key, entry) in _cache)
            {
                if (now >= entry.Until)
                {
                    _cache.TryRemove(new KeyValuePair<(string, string), Cached>(key, entry));
                }
            }
            if (_cache.Count >= MaxCached)
            {
                _cache.Clear();
            }
        }
        _cache[(user.StorageKey, backendId)] = new Cached(tokens, until);
    }

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
