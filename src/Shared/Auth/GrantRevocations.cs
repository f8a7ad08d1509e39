using System.Collections.Concurrent;

namespace MasterMcp.Auth;

/// <summary>
/// Whether the grant (token family) behind an access token of the built-in authorization server was revoked — by code
/// reuse, refresh-token reuse or RFC 7009 revocation. Answers come from Table Storage and are cached for
/// <c>auth.revocation_check_seconds</c>, so /mcp reads the store at most once per grant and window, and a revocation
/// made on another instance takes effect within that window (on this instance: at once).
/// </summary>
public sealed class GrantRevocations(AuthSettingsProvider settings, AuthStore store, TimeProvider time)
{
    /// <summary>The access-token claim carrying the grant id.</summary>
    public const string ClaimType = "grant_id";

    // Entries are pruned when the cache grows past this, so a burst of grants cannot grow it without bound.
    private const int PruneThreshold = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(Task<bool> Revoked, DateTimeOffset CheckedAt);

    /// <summary>True when the grant was revoked or no longer exists.</summary>
    public async Task<bool> IsRevokedAsync(string grantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var window = TimeSpan.FromSeconds(settings.Current.Auth.RevocationCheckSeconds);
        if (_entries.TryGetValue(grantId, out var cached) && (now - cached.CheckedAt < window || cached.Revoked is { IsCompletedSuccessfully: true, Result: true }))
        {
            return await cached.Revoked.WaitAsync(cancellationToken);
        }
        if (_entries.Count > PruneThreshold)
        {
            Prune(now, window);
        }
        // Concurrent requests of one grant share one read; a failed read is not cached.
        var entry = new Entry(ReadAsync(grantId), now);
        var stored = cached is null ? _entries.GetOrAdd(grantId, entry) : (_entries.TryUpdate(grantId, entry, cached) ? entry : _entries.GetValueOrDefault(grantId, entry));
        try
        {
            return await stored.Revoked.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(grantId, stored));
            throw;
        }
    }

    /// <summary>Records a revocation made by this instance, so its access tokens are refused here at once.</summary>
    public void MarkRevoked(string grantId) => _entries[grantId] = new Entry(Task.FromResult(true), time.GetUtcNow());

    private async Task<bool> ReadAsync(string grantId)
    {
        // Not the request's token: the read is shared by every request of this grant in the window.
        var family = await store.GetAsync(AuthStore.Families, grantId, AuthJsonContext.Default.TokenFamily, CancellationToken.None);
        return family is null || family.Value.Revoked;
    }

    private void Prune(DateTimeOffset now, TimeSpan window)
    {
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.CheckedAt >= window)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }
}
