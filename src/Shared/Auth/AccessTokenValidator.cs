using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>
/// Validates bearer tokens: in jwt mode against the external issuer's JWKS (refetched once when a token names an unknown
/// key), in gateway mode against our own signing keys and the revocations of their grant. Checks signature, issuer,
/// audience (the resource), exp/nbf with skew.
/// Validated tokens are cached by the SHA-256 of the token together with the audiences accepted where it was presented
/// (so a token validated for one virtual server is validated afresh at another), each for <c>auth.token_cache_seconds</c>
/// at most and never past its expiry; the cache is dropped wholesale when the configuration or the issuer's key set
/// changes (a JWKS refresh that removed a key refuses that key's tokens at once). Lifetime and, in gateway mode, the
/// revocation of the token's grant are checked on every request, cached or not; so is, in gateway mode, whether an admin
/// deleted the client the token was issued to (its tokens stop working at once, not when they expire).
/// </summary>
public sealed class AccessTokenValidator(AuthSettingsProvider settings, OidcMetadataCache metadata, SigningKeys signingKeys, GrantRevocations revocations, TimeProvider time,
    Admin.OverrideState? overrides = null)
{
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    // Bounds the cache: past this many entries the expired ones are dropped, and if that is not enough, all of them.
    private const int MaxCachedTokens = 10_000;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ConcurrentDictionary<CacheKey, Cached> _cache = new();
    private long _signatureValidations;

    /// <summary>How many tokens had their signature checked (cache misses); what tests observe the cache by.</summary>
    public long SignatureValidations => Interlocked.Read(ref _signatureValidations);

    // The token is never a key: its SHA-256 (as two 128-bit halves) and the audiences it was accepted for are.
    private readonly record struct CacheKey(UInt128 First, UInt128 Second, string Audiences);

    // Keys identifies the key set the signature was checked against (gateway: the settings; jwt: the issuer's metadata).
    private sealed record Cached(GatewayUser User, DateTime ValidTo, DateTime ValidFrom, string? GrantId, AuthSettings Settings, object Keys, DateTimeOffset Until);

    /// <summary>The outcome: a user, or why the token was refused.</summary>
    public sealed record Result(GatewayUser? User, string? Error);

    /// <summary>Validates <paramref name="token"/>; <paramref name="audiences"/> replaces the accepted audience (a virtual server's).</summary>
    public async Task<Result> ValidateAsync(string token, CancellationToken cancellationToken, IReadOnlyList<string>? audiences = null)
    {
        var result = await ValidateCoreAsync(token, cancellationToken, audiences);
        return result.User is { ClientId: { } clientId } && settings.Current.IsGateway && overrides?.IsClientDeleted(clientId) == true
            ? new Result(null, "the token's client was deleted by an admin")
            : result;
    }

    private async Task<Result> ValidateCoreAsync(string token, CancellationToken cancellationToken, IReadOnlyList<string>? audiences)
    {
        var current = settings.Current;
        var cacheFor = TimeSpan.FromSeconds(current.Auth.TokenCacheSeconds);
        if (cacheFor <= TimeSpan.Zero)
        {
            return await ValidateUncachedAsync(token, current, audiences, null, cancellationToken);
        }
        var key = KeyOf(token, audiences is null ? current.Audience : string.Join('\n', audiences));
        var keys = current.IsGateway ? current : (object)await metadata.GetAsync(MetadataUrl(current), cancellationToken);
        if (_cache.TryGetValue(key, out var cached) && ReferenceEquals(cached.Settings, current) && ReferenceEquals(cached.Keys, keys) && time.GetUtcNow() < cached.Until)
        {
            if (CheckLifetime(cached.ValidTo, cached.ValidFrom, current.ClockSkew) is { } lifetimeError)
            {
                _cache.TryRemove(new KeyValuePair<CacheKey, Cached>(key, cached));
                return new Result(null, lifetimeError);
            }
            if (cached.GrantId is not null && await revocations.IsRevokedAsync(cached.GrantId, cancellationToken))
            {
                _cache.TryRemove(new KeyValuePair<CacheKey, Cached>(key, cached));
                return new Result(null, "the token's authorization was revoked");
            }
            return new Result(cached.User, null);
        }
        return await ValidateUncachedAsync(token, current, audiences, (key, keys, cacheFor), cancellationToken);
    }

    private async Task<Result> ValidateUncachedAsync(string token, AuthSettings current, IReadOnlyList<string>? audiences, (CacheKey Key, object Keys, TimeSpan For)? cache, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _signatureValidations);
        if (!_handler.CanReadToken(token))
        {
            return new Result(null, "the token is not a JWT");
        }
        TokenValidationResult result;
        if (current.IsGateway)
        {
            var keys = await signingKeys.GetAsync(cancellationToken);
            result = await _handler.ValidateTokenAsync(token, Parameters(current, keys.Validation, audiences));
        }
        else
        {
            var metadataUrl = MetadataUrl(current);
            var config = await metadata.GetAsync(metadataUrl, cancellationToken);
            result = await _handler.ValidateTokenAsync(token, Parameters(current, config.SigningKeys, audiences));
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Key rotation at the issuer: fetch the JWKS again once, then retry.
                metadata.RequestRefresh(metadataUrl);
                config = await metadata.GetAsync(metadataUrl, cancellationToken);
                result = await _handler.ValidateTokenAsync(token, Parameters(current, config.SigningKeys, audiences));
            }
            // The key set actually used: a refresh above replaced it, and the entry must belong to the new one.
            cache = cache is { } c ? c with { Keys = config } : null;
        }
        if (!result.IsValid)
        {
            return new Result(null, Describe(result.Exception));
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        var lifetimeError = CheckLifetime(jwt.ValidTo, jwt.ValidFrom, current.ClockSkew);
        if (lifetimeError is not null)
        {
            return new Result(null, lifetimeError);
        }
        var subject = jwt.Subject;
        if (string.IsNullOrEmpty(subject))
        {
            return new Result(null, "the token has no subject");
        }
        var grantId = current.IsGateway ? Claim(result.ClaimsIdentity, GrantRevocations.ClaimType) : null;
        if (grantId is not null && await revocations.IsRevokedAsync(grantId, cancellationToken))
        {
            return new Result(null, "the token's authorization was revoked");
        }
        var scopes = Scopes(result.ClaimsIdentity);
        var clientId = Claim(result.ClaimsIdentity, "client_id") ?? Claim(result.ClaimsIdentity, "azp");
        // Gateway tokens carry the upstream issuer, which (with sub) identifies the person.
        var issuer = current.IsGateway ? Claim(result.ClaimsIdentity, "idp") ?? jwt.Issuer : jwt.Issuer;
        var user = new GatewayUser(issuer, subject, scopes, clientId) { Name = Claim(result.ClaimsIdentity, "name"), Claims = OtherClaims(result.ClaimsIdentity) };
        if (cache is { } entry)
        {
            var now = time.GetUtcNow();
            var until = now + entry.For;
            var expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
            Remember(entry.Key, new Cached(user, jwt.ValidTo, jwt.ValidFrom, grantId, current, entry.Keys, until < expires ? until : expires), now);
        }
        return new Result(user, null);
    }

    private static string MetadataUrl(AuthSettings current) => current.Auth.Jwt.MetadataUrl ?? OidcMetadataCache.DiscoveryUrl(current.Issuer);

    private void Remember(CacheKey key, Cached entry, DateTimeOffset now)
    {
        if (_cache.Count >= MaxCachedTokens)
        {
            foreach (var (k, v) in _cache)
            {
                if (now >= v.Until || !ReferenceEquals(v.Settings, entry.Settings))
                {
                    _cache.TryRemove(new KeyValuePair<CacheKey, Cached>(k, v));
                }
            }
            if (_cache.Count >= MaxCachedTokens)
            {
                _cache.Clear();
            }
        }
        _cache[key] = entry;
    }

    private static CacheKey KeyOf(string token, string audiences)
    {
        var length = Encoding.UTF8.GetMaxByteCount(token.Length);
        var rented = length > 2048 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> bytes = rented ?? stackalloc byte[length];
            var written = Encoding.UTF8.GetBytes(token, bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes[..written], hash);
            return new CacheKey(MemoryMarshal.Read<UInt128>(hash), MemoryMarshal.Read<UInt128>(hash[16..]), audiences);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static TokenValidationParameters Parameters(AuthSettings current, IEnumerable<SecurityKey> keys, IReadOnlyList<string>? audiences) => new()
    {
        ValidIssuer = current.Issuer,
        ValidAudiences = audiences ?? [current.Audience],
        IssuerSigningKeys = keys,
        ValidAlgorithms = Algorithms,
        // Lifetime is checked below against the injected TimeProvider, so tests can move time.
        ValidateLifetime = false,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        TryAllIssuerSigningKeys = false,
    };

    private string? CheckLifetime(DateTime validTo, DateTime validFrom, TimeSpan skew)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (validTo == DateTime.MinValue)
        {
            return "the token has no expiry";
        }
        if (validTo + skew < now)
        {
            return "the token expired";
        }
        if (validFrom != DateTime.MinValue && validFrom - skew > now)
        {
            return "the token is not valid yet";
        }
        return null;
    }

    private static string Describe(Exception? ex) => ex switch
    {
        SecurityTokenInvalidAudienceException => "the token is for another audience",
        SecurityTokenInvalidIssuerException => "the token is from another issuer",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token signature is invalid",
        SecurityTokenInvalidAlgorithmException => "the token's algorithm is not accepted",
        SecurityTokenNoExpirationException => "the token has no expiry",
        _ => "the token is invalid",
    };

    private static string? Claim(ClaimsIdentity identity, string type) => identity.FindFirst(type)?.Value;

    // Claims with a fixed meaning in the token or the gateway; everything else (groups, roles, tid, …) is what policies may match.
    private static readonly HashSet<string> RegisteredClaims = new(StringComparer.Ordinal)
    {
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", "client_id", "azp", "idp", "name", GrantRevocations.ClaimType,
    };

    private static Dictionary<string, IReadOnlyList<string>> OtherClaims(ClaimsIdentity identity) =>
        identity.Claims.Where(c => !RegisteredClaims.Contains(c.Type))
            .GroupBy(c => c.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(c => c.Value).Distinct(StringComparer.Ordinal)], StringComparer.Ordinal);

    private static IReadOnlyList<string> Scopes(ClaimsIdentity identity)
    {
        var list = new List<string>();
        foreach (var claim in identity.FindAll("scope").Concat(identity.FindAll("scp")))
        {
            list.AddRange(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return list.Distinct(StringComparer.Ordinal).ToList();
    }
}
