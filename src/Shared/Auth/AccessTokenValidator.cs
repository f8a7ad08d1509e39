using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>
/// Validates bearer tokens: in jwt mode against the external issuer's JWKS (refetched once when a token names an unknown
/// key), in gateway mode against our own signing keys and the revocations of their grant. Checks signature, issuer,
/// audience (the resource), exp/nbf with skew.
/// </summary>
public sealed class AccessTokenValidator(AuthSettingsProvider settings, OidcMetadataCache metadata, SigningKeys signingKeys, GrantRevocations revocations, TimeProvider time)
{
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The outcome: a user, or why the token was refused.</summary>
    public sealed record Result(GatewayUser? User, string? Error);

    /// <summary>Validates <paramref name="token"/>; <paramref name="audiences"/> replaces the accepted audience (a virtual server's).</summary>
    public async Task<Result> ValidateAsync(string token, CancellationToken cancellationToken, IReadOnlyList<string>? audiences = null)
    {
        var current = settings.Current;
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
            var metadataUrl = current.Auth.Jwt.MetadataUrl ?? OidcMetadataCache.DiscoveryUrl(current.Issuer);
            var config = await metadata.GetAsync(metadataUrl, cancellationToken);
            result = await _handler.ValidateTokenAsync(token, Parameters(current, config.SigningKeys, audiences));
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Key rotation at the issuer: fetch the JWKS again once, then retry.
                metadata.RequestRefresh(metadataUrl);
                config = await metadata.GetAsync(metadataUrl, cancellationToken);
                result = await _handler.ValidateTokenAsync(token, Parameters(current, config.SigningKeys, audiences));
            }
        }
        if (!result.IsValid)
        {
            return new Result(null, Describe(result.Exception));
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        var lifetimeError = CheckLifetime(jwt, current.ClockSkew);
        if (lifetimeError is not null)
        {
            return new Result(null, lifetimeError);
        }
        var subject = jwt.Subject;
        if (string.IsNullOrEmpty(subject))
        {
            return new Result(null, "the token has no subject");
        }
        if (current.IsGateway && Claim(result.ClaimsIdentity, GrantRevocations.ClaimType) is { } grantId && await revocations.IsRevokedAsync(grantId, cancellationToken))
        {
            return new Result(null, "the token's authorization was revoked");
        }
        var scopes = Scopes(result.ClaimsIdentity);
        var clientId = Claim(result.ClaimsIdentity, "client_id") ?? Claim(result.ClaimsIdentity, "azp");
        // Gateway tokens carry the upstream issuer, which (with sub) identifies the person.
        var issuer = current.IsGateway ? Claim(result.ClaimsIdentity, "idp") ?? jwt.Issuer : jwt.Issuer;
        return new Result(new GatewayUser(issuer, subject, scopes, clientId) { Name = Claim(result.ClaimsIdentity, "name"), Claims = OtherClaims(result.ClaimsIdentity) }, null);
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

    private string? CheckLifetime(JsonWebToken jwt, TimeSpan skew)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (jwt.ValidTo == DateTime.MinValue)
        {
            return "the token has no expiry";
        }
        if (jwt.ValidTo + skew < now)
        {
            return "the token expired";
        }
        if (jwt.ValidFrom != DateTime.MinValue && jwt.ValidFrom - skew > now)
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
