using MasterMcp.Audit;
using MasterMcp.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>
/// The built-in authorization server's decisions: codes, consents, access tokens (JWTs signed with the shared key),
/// refresh tokens (opaque, stored hashed, rotated; reuse revokes the whole family, its access tokens included).
/// </summary>
public sealed class AuthorizationServer(AuthSettingsProvider settings, AuthStore store, SigningKeys keys, GrantRevocations revocations, ClientRegistry clients, AuditTrail audit, TimeProvider time)
{
    /// <summary>Tokens returned by the token endpoint.</summary>
    public sealed record IssuedTokens(string AccessToken, int ExpiresIn, string RefreshToken, IReadOnlyList<string> Scopes)
    {
        /// <summary>Whom the tokens were issued for (the audit trail names them).</summary>
        public GatewayUser? User { get; init; }
    }

    /// <summary>A token request that failed: the OAuth error and description.</summary>
    public sealed class TokenError(string error, string description) : Exception(description)
    {
        public string Error { get; } = error;
    }

    /// <summary>Issues a code for an approved pending authorization; returns the client redirect with code, state and iss.</summary>
    public async Task<string> IssueCodeAsync(PendingAuthorization pending, GatewayUser user, CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var code = TokenCrypto.NewHandle();
        var record = new AuthorizationCodeRecord(pending.ClientId, pending.RedirectUri, pending.CodeChallenge, pending.Scopes, pending.Resource, user.Issuer, user.Subject, user.Name);
        await store.AddAsync(AuthStore.Codes, TokenCrypto.Hash(code), record, AuthJsonContext.Default.AuthorizationCodeRecord,
            time.GetUtcNow() + TimeSpan.FromSeconds(current.Auth.AuthorizationCodeLifetimeSeconds) + TimeSpan.FromMinutes(10), cancellationToken);
        return ClientRedirect(pending.RedirectUri, pending.State, ("code", code));
    }

    /// <summary>The client redirect URI with response parameters, the state and our issuer (RFC 9207).</summary>
    public string ClientRedirect(string redirectUri, string? state, params (string Name, string Value)[] parameters)
    {
        var query = parameters.ToDictionary(p => p.Name, p => (string?)p.Value);
        if (state is not null)
        {
            query["state"] = state;
        }
        query["iss"] = settings.Current.Issuer;
        return QueryHelpers.AddQueryString(redirectUri, query);
    }

    /// <summary>Remembers that a user approved scopes for a client (and audits the consent).</summary>
    public async Task RecordConsentAsync(GatewayUser user, string clientId, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        await store.UpsertAsync(AuthStore.Consents, user.Key + ":" + TokenCrypto.Hash(clientId), new ConsentRecord(scopes, time.GetUtcNow()), AuthJsonContext.Default.ConsentRecord,
            time.GetUtcNow() + TimeSpan.FromDays(settings.Current.Auth.ConsentLifetimeDays), cancellationToken);
        audit.Record(AuditAction.Consent, AuditOutcome.Ok, user.Subject, user.Issuer, clientId, name: string.Join(' ', scopes));
    }

    /// <summary>True when the user already approved these scopes for this client.</summary>
    public async Task<bool> HasConsentAsync(GatewayUser user, string clientId, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var consent = await store.GetAsync(AuthStore.Consents, user.Key + ":" + TokenCrypto.Hash(clientId), AuthJsonContext.Default.ConsentRecord, cancellationToken);
        return consent is not null && scopes.All(s => consent.Value.Scopes.Contains(s));
    }

    /// <summary>Redeems a code (once). Reuse revokes what the first redemption issued.</summary>
    public async Task<IssuedTokens> RedeemCodeAsync(OAuthClient client, string code, string? redirectUri, string? verifier, string? resource, CancellationToken cancellationToken)
    {
        var key = TokenCrypto.Hash(code);
        var entity = await store.GetAsync(AuthStore.Codes, key, AuthJsonContext.Default.AuthorizationCodeRecord, cancellationToken)
            ?? throw new TokenError("invalid_grant", "the authorization code is unknown or expired");
        var record = entity.Value;
        if (record.Used)
        {
            if (record.FamilyId is not null)
            {
                await RevokeFamilyAsync(record.FamilyId, new Grantee(record.UserSubject, record.UserIssuer, record.ClientId), "authorization code used twice", cancellationToken);
            }
            throw new TokenError("invalid_grant", "the authorization code was already used; the tokens issued for it are revoked");
        }
        if (time.GetUtcNow() > (entity.ExpiresAt ?? DateTimeOffset.MaxValue) - TimeSpan.FromMinutes(10))
        {
            throw new TokenError("invalid_grant", "the authorization code expired");
        }
        var familyId = TokenCrypto.NewHandle();
        try
        {
            // Mark it used first: of two concurrent redemptions only one wins the ETag.
            await store.Table.UpdateAsync(AuthStore.Codes, key, record with { Used = true, FamilyId = familyId }, entity.ETag,
                AuthJsonContext.Default.AuthorizationCodeRecord, entity.ExpiresAt, cancellationToken);
        }
        catch (StoreConflictException)
        {
            throw new TokenError("invalid_grant", "the authorization code was already used");
        }
        if (record.ClientId != client.ClientId)
        {
            throw new TokenError("invalid_grant", "the authorization code was issued to another client");
        }
        if (redirectUri != record.RedirectUri)
        {
            throw new TokenError("invalid_grant", "redirect_uri does not match the authorization request");
        }
        if (!TokenCrypto.VerifyPkce(verifier, record.CodeChallenge))
        {
            throw new TokenError("invalid_grant", verifier is null ? "code_verifier is required (PKCE)" : "code_verifier does not match the code_challenge");
        }
        if (resource is not null && resource != record.Resource)
        {
            throw new TokenError("invalid_target", "resource does not match the authorization request");
        }
        var user = new GatewayUser(record.UserIssuer, record.UserSubject, record.Scopes, client.ClientId) { Name = record.UserName };
        try
        {
            await store.AddAsync(AuthStore.Families, familyId, new TokenFamily(client.ClientId, user.Key, time.GetUtcNow()), AuthJsonContext.Default.TokenFamily,
                time.GetUtcNow() + TimeSpan.FromDays(settings.Current.Auth.RefreshTokenLifetimeDays), cancellationToken);
        }
        catch (StoreConflictException)
        {
            // A reuse of the code got here first and left a revoked tombstone.
            throw new TokenError("invalid_grant", "the authorization code was already used");
        }
        await clients.MarkUsedAsync(client, cancellationToken);
        return await IssueAsync(user, record.Resource, familyId, cancellationToken);
    }

    /// <summary>Rotates a refresh token. A token used twice revokes its family (the newer tokens included).</summary>
    public async Task<IssuedTokens> RefreshAsync(OAuthClient client, string refreshToken, string? resource, string? scope, CancellationToken cancellationToken)
    {
        var key = TokenCrypto.Hash(refreshToken);
        var entity = await store.GetAsync(AuthStore.RefreshTokens, key, AuthJsonContext.Default.RefreshTokenRecord, cancellationToken)
            ?? throw new TokenError("invalid_grant", "the refresh token is unknown or expired");
        var record = entity.Value;
        if (record.ClientId != client.ClientId)
        {
            throw new TokenError("invalid_grant", "the refresh token was issued to another client");
        }
        var family = await store.GetAsync(AuthStore.Families, record.FamilyId, AuthJsonContext.Default.TokenFamily, cancellationToken);
        if (family is null || family.Value.Revoked)
        {
            throw new TokenError("invalid_grant", "the refresh token was revoked");
        }
        if (record.Used)
        {
            await RevokeFamilyAsync(record.FamilyId, new Grantee(record.UserSubject, record.UserIssuer, record.ClientId), "refresh token used twice", cancellationToken);
            throw new TokenError("invalid_grant", "the refresh token was already used; every token of this authorization is revoked");
        }
        // Validate the request before rotating: a refused request must leave the refresh token usable for a correct retry.
        if (resource is not null && resource != record.Resource)
        {
            throw new TokenError("invalid_target", "resource does not match the original authorization");
        }
        var scopes = record.Scopes;
        if (scope is not null)
        {
            var requested = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (requested.Length == 0)
            {
                // RFC 6749 §3.3: a scope parameter holds at least one scope; an empty one would silently issue a token for nothing.
                throw new TokenError("invalid_scope", "scope is empty; omit it to keep the granted scopes");
            }
            if (requested.Any(s => !record.Scopes.Contains(s)))
            {
                throw new TokenError("invalid_scope", "a refresh cannot widen the scopes");
            }
            scopes = requested;
        }
        try
        {
            await store.Table.UpdateAsync(AuthStore.RefreshTokens, key, record with { Used = true }, entity.ETag, AuthJsonContext.Default.RefreshTokenRecord, entity.ExpiresAt, cancellationToken);
        }
        catch (StoreConflictException)
        {
            await RevokeFamilyAsync(record.FamilyId, new Grantee(record.UserSubject, record.UserIssuer, record.ClientId), "refresh token used concurrently", cancellationToken);
            throw new TokenError("invalid_grant", "the refresh token was used concurrently; every token of this authorization is revoked");
        }
        var user = new GatewayUser(record.UserIssuer, record.UserSubject, scopes, client.ClientId) { Name = record.UserName };
        return await IssueAsync(user, record.Resource, record.FamilyId, cancellationToken);
    }

    /// <summary>Revokes the family of a refresh token (RFC 7009: unknown tokens are not an error).</summary>
    public async Task RevokeAsync(OAuthClient client, string token, CancellationToken cancellationToken)
    {
        var entity = await store.GetAsync(AuthStore.RefreshTokens, TokenCrypto.Hash(token), AuthJsonContext.Default.RefreshTokenRecord, cancellationToken);
        if (entity is not null && entity.Value.ClientId == client.ClientId)
        {
            await RevokeFamilyAsync(entity.Value.FamilyId, new Grantee(entity.Value.UserSubject, entity.Value.UserIssuer, entity.Value.ClientId), "revoked by the client (RFC 7009)", cancellationToken);
        }
    }

    /// <summary>Who held a grant: named in its revocation's audit event.</summary>
    private readonly record struct Grantee(string Subject, string Issuer, string ClientId);

    private async Task RevokeFamilyAsync(string familyId, Grantee grantee, string reason, CancellationToken cancellationToken)
    {
        await MarkFamilyRevokedAsync(familyId, cancellationToken);
        audit.Record(AuditAction.Revocation, AuditOutcome.Ok, grantee.Subject, grantee.Issuer, grantee.ClientId, name: "grant", reason: reason);
    }

    private async Task MarkFamilyRevokedAsync(string familyId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var family = await store.GetAsync(AuthStore.Families, familyId, AuthJsonContext.Default.TokenFamily, cancellationToken);
            if (family is null)
            {
                // A code reuse while the first redemption is still between marking the code and creating the family:
                // a revoked tombstone makes that redemption fail instead of issuing tokens nobody revokes.
                try
                {
                    await store.AddAsync(AuthStore.Families, familyId, new TokenFamily("", "", time.GetUtcNow()) { Revoked = true }, AuthJsonContext.Default.TokenFamily,
                        time.GetUtcNow() + TimeSpan.FromDays(settings.Current.Auth.RefreshTokenLifetimeDays), cancellationToken);
                }
                catch (StoreConflictException)
                {
                    continue;
                }
                revocations.MarkRevoked(familyId);
                return;
            }
            if (family.Value.Revoked)
            {
                revocations.MarkRevoked(familyId);
                return;
            }
            try
            {
                await store.Table.UpdateAsync(AuthStore.Families, familyId, family.Value with { Revoked = true }, family.ETag, AuthJsonContext.Default.TokenFamily, family.ExpiresAt, cancellationToken);
                // This instance refuses the grant's access tokens at once; others within GrantRevocations' cache window.
                revocations.MarkRevoked(familyId);
                return;
            }
            catch (StoreConflictException)
            {
                // Changed in between; read again.
            }
        }
    }

    private async Task<IssuedTokens> IssueAsync(GatewayUser user, string resource, string familyId, CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var now = time.GetUtcNow();
        var lifetime = current.Auth.AccessTokenLifetimeSeconds;
        var keySet = await keys.GetAsync(cancellationToken);
        var claims = new Dictionary<string, object>
        {
            ["sub"] = user.Subject,
            ["idp"] = user.Issuer,
            ["client_id"] = user.ClientId!,
            ["scope"] = string.Join(' ', user.Scopes),
            ["jti"] = TokenCrypto.NewHandle(),
            // The grant (token family) the token belongs to: revoking the grant refuses its access tokens too.
            [GrantRevocations.ClaimType] = familyId,
        };
        if (user.Name is not null)
        {
            claims["name"] = user.Name;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = current.Issuer,
            Audience = resource,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.UtcDateTime.AddSeconds(lifetime),
            SigningCredentials = keySet.Signing,
            TokenType = "at+jwt",
        };
        var accessToken = new JsonWebTokenHandler().CreateToken(descriptor);

        var refresh = TokenCrypto.NewHandle();
        var expires = now + TimeSpan.FromDays(current.Auth.RefreshTokenLifetimeDays);
        await store.AddAsync(AuthStore.RefreshTokens, TokenCrypto.Hash(refresh),
            new RefreshTokenRecord(familyId, user.ClientId!, user.Scopes, resource, user.Issuer, user.Subject, user.Name, expires),
            AuthJsonContext.Default.RefreshTokenRecord, expires, cancellationToken);
        return new IssuedTokens(accessToken, lifetime, refresh, user.Scopes) { User = user };
    }

    /// <summary>The scopes a request may get: the requested ones (all must be supported and allowed for the client), else the defaults.</summary>
    public IReadOnlyList<string>? GrantableScopes(OAuthClient client, string? requested)
    {
        var supported = settings.Current.Auth.ScopesSupported;
        var allowed = client.Scopes is { Count: > 0 } s ? s.Intersect(supported).ToList() : supported.ToList();
        if (string.IsNullOrWhiteSpace(requested))
        {
            return allowed;
        }
        // offline_access is implied: refresh tokens are always issued.
        var list = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(x => x != "offline_access").Distinct().ToList();
        return list.All(allowed.Contains) ? list : null;
    }
}
