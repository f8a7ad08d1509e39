using System.Collections.Concurrent;
using MasterMcp.Audit;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Secrets;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Credentials;

/// <summary>
/// The access token a user presents to a backend, from the vault: refreshed before it expires (delegate_oauth and
/// proxy_oauth alike) with one refresh at a time per (user, backend) — in this process through a semaphore, across
/// instances through <see cref="RefreshLease"/>; those who wait re-read the vault. A refused refresh forgets the tokens
/// and leads back to consent. master_oauth tokens come from token exchange of the user's incoming token instead.
/// </summary>
public sealed partial class BackendCredentials(TokenVault vault, RefreshLease leases, BackendProviders providers, BackendTokenClient tokenClient,
    AuthSettingsProvider settings, ISecretResolver secrets, AuditTrail audit, TimeProvider time, ILogger<BackendCredentials> logger)
{
    private static readonly TimeSpan LeaseWait = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _local = new(StringComparer.Ordinal);

    /// <summary>The gateway's callback for backend providers.</summary>
    public string CallbackUrl => settings.Current.CallbackUrl;

    /// <summary>The provider of a backend.</summary>
    public Task<BackendProvider> ProviderAsync(BackendDefinition definition, CancellationToken cancellationToken) =>
        providers.ResolveAsync(definition, CallbackUrl, cancellationToken);

    /// <summary>
    /// Forgets a user's tokens for a backend because they no longer work (the audit trail records it as the removal of the
    /// connection); the next call asks the user to connect again.
    /// </summary>
    public async Task ForgetAsync(UserIdentity user, BackendDefinition definition, string reason, CancellationToken cancellationToken)
    {
        await vault.DeleteAsync(user, definition.Id, cancellationToken);
        audit.Record(AuditAction.Revocation, AuditOutcome.Ok, user.Subject, user.Issuer, null, definition.Id, "connection", reason);
    }

    /// <summary>A usable access token of <paramref name="user"/> for the backend; throws <see cref="ConsentRequiredException"/> when there is none.</summary>
    public async Task<string> GetAccessTokenAsync(UserIdentity user, BackendDefinition definition, CancellationToken cancellationToken)
    {
        var tokens = await vault.GetAsync(user, definition.Id, cancellationToken) ?? throw new ConsentRequiredException(definition.Id, "not connected");
        if (!NeedsRefresh(tokens, definition))
        {
            return tokens.AccessToken;
        }
        if (definition.AuthStrategy == "master_oauth")
        {
            throw new ConsentRequiredException(definition.Id, "the exchanged token expired");
        }
        return (await RefreshAsync(user, definition, tokens.AccessToken, cancellationToken)).AccessToken;
    }

    /// <summary>
    /// Refreshes unless someone else already did: <paramref name="staleAccessToken"/> is the token the caller found
    /// unusable (expired, or refused by the backend), so a newer token in the vault means the work is done.
    /// </summary>
    public async Task<TokenSet> RefreshAsync(UserIdentity user, BackendDefinition definition, string staleAccessToken, CancellationToken cancellationToken)
    {
        var gate = _local.GetOrAdd(user.StorageKey + "|" + definition.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var deadline = time.GetUtcNow() + LeaseWait;
            var delay = TimeSpan.FromMilliseconds(50);
            while (true)
            {
                // From the store, not the in-memory copy: another instance may have refreshed (or removed) the tokens.
                var current = await vault.ReadAsync(user, definition.Id, cancellationToken) ?? throw new ConsentRequiredException(definition.Id, "not connected");
                if (IsNewerAndUnexpired(current, staleAccessToken))
                {
                    return current;
                }
                if (current.RefreshToken is null)
                {
                    await ForgetAsync(user, definition, "the token expired and cannot be refreshed", cancellationToken);
                    throw new ConsentRequiredException(definition.Id, "the token expired and cannot be refreshed");
                }
                var lease = await leases.TryAcquireAsync(user, definition.Id, cancellationToken);
                if (lease is not null)
                {
                    try
                    {
                        // Re-read under the lease: another instance may have refreshed between our read and the lease.
                        current = await vault.ReadAsync(user, definition.Id, cancellationToken) ?? throw new ConsentRequiredException(definition.Id, "not connected");
                        if (IsNewerAndUnexpired(current, staleAccessToken))
                        {
                            return current;
                        }
                        return await RefreshHeldAsync(user, definition, current, cancellationToken);
                    }
                    finally
                    {
                        await leases.ReleaseAsync(lease);
                    }
                }
                if (time.GetUtcNow() > deadline)
                {
                    throw new BackendUnavailableException(definition.Id, "token refresh by another instance did not finish in time");
                }
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    // Counts a failed refresh from an exception filter, so the catch below keeps handling only dead grants.
    private static bool Failed(string backendId)
    {
        Observability.GatewayMetrics.RecordTokenRefresh(backendId, succeeded: false);
        return true;
    }

    private async Task<TokenSet> RefreshHeldAsync(UserIdentity user, BackendDefinition definition, TokenSet current, CancellationToken cancellationToken)
    {
        var provider = await ProviderAsync(definition, cancellationToken);
        TokenSet fresh;
        try
        {
            fresh = await tokenClient.RefreshAsync(provider, current.RefreshToken!, cancellationToken);
            Observability.GatewayMetrics.RecordTokenRefresh(definition.Id, succeeded: true);
        }
        catch (BackendTokenException ex) when (Failed(definition.Id) && ex.GrantIsDead)
        {
            LogRefreshRefused(logger, definition.Id, ex.Message);
            await ForgetAsync(user, definition, "the provider refused to refresh the token", cancellationToken);
            throw new ConsentRequiredException(definition.Id, "the provider refused to refresh the token");
        }
        await vault.SaveAsync(user, definition.Id, fresh, cancellationToken);
        LogRefreshed(logger, definition.Id);
        return fresh;
    }

    /// <summary>
    /// master_oauth: makes sure the vault holds a token for the backend obtained by exchanging <paramref name="subjectToken"/>
    /// (the user's incoming access token, which goes to the exchange endpoint only). Exchanged tokens are cached until they expire.
    /// </summary>
    public async Task EnsureExchangedAsync(UserIdentity user, BackendDefinition definition, string? subjectToken, CancellationToken cancellationToken)
    {
        var existing = await vault.GetAsync(user, definition.Id, cancellationToken);
        if (existing is not null && !NeedsRefresh(existing, definition))
        {
            return;
        }
        if (subjectToken is null)
        {
            throw new BackendUnavailableException(definition.Id, "token exchange needs the request's access token, and this request has none");
        }
        var config = definition.AuthConfig;
        var endpoint = config.TokenEndpoint;
        if (endpoint is null)
        {
            var provider = await ProviderAsync(definition with { AuthConfig = config with { Provider = "oidc", ClientId = config.ClientId } }, cancellationToken);
            endpoint = provider.TokenEndpoint;
        }
        var secret = config.ClientSecret is null ? null : await secrets.ResolveAsync(config.ClientSecret, $"servers['{definition.Id}'].auth_config.client_secret", cancellationToken);
        TokenSet exchanged;
        try
        {
            exchanged = await tokenClient.ExchangeAsync(config, endpoint, secret, subjectToken, cancellationToken);
        }
        catch (BackendTokenException ex)
        {
            LogExchangeFailed(logger, definition.Id, ex.Message);
            throw new BackendUnavailableException(definition.Id, "token exchange failed: " + ex.Message);
        }
        // Never kept beyond its life, never refreshed: the next exchange uses the user's next token.
        await vault.SaveAsync(user, definition.Id, exchanged with { RefreshToken = null, ExpiresAt = exchanged.ExpiresAt ?? time.GetUtcNow().AddMinutes(5) }, cancellationToken);
        LogExchanged(logger, definition.Id);
    }

    private bool NeedsRefresh(TokenSet tokens, BackendDefinition definition) =>
        tokens.ExpiresAt is { } expires && expires - RefreshMargin(tokens, definition.AuthConfig.RefreshBeforeSeconds) <= time.GetUtcNow();

    // A waiter takes whatever another caller obtained meanwhile as long as it still works: asking it to also be outside
    // the refresh margin made every waiter refresh again when a token lives shorter than the margin (issue 13, item 4).
    private bool IsNewerAndUnexpired(TokenSet tokens, string staleAccessToken) =>
        tokens.AccessToken != staleAccessToken && (tokens.ExpiresAt is not { } expires || expires > time.GetUtcNow());

    /// <summary>
    /// How long before expiry a token is refreshed: refresh_before_seconds, but at most a quarter of the token's lifetime —
    /// an 8-second token with a 60-second margin would otherwise need refreshing from the moment it was issued.
    /// </summary>
    public static TimeSpan RefreshMargin(TokenSet tokens, int refreshBeforeSeconds)
    {
        var margin = TimeSpan.FromSeconds(refreshBeforeSeconds);
        if (tokens is { IssuedAt: { } issued, ExpiresAt: { } expires })
        {
            var quarter = (expires - issued) / 4;
            margin = quarter < TimeSpan.Zero ? TimeSpan.Zero : quarter < margin ? quarter : margin;
        }
        return margin;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refreshed a user's token for backend {BackendId}")]
    private static partial void LogRefreshed(ILogger logger, string backendId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refresh for backend {BackendId} refused ({Reason}); the user must connect again")]
    private static partial void LogRefreshRefused(ILogger logger, string backendId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exchanged a user's token for backend {BackendId}")]
    private static partial void LogExchanged(ILogger logger, string backendId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token exchange for backend {BackendId} failed: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string backendId, string reason);
}
