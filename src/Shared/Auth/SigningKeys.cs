using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Secrets;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>
/// The keys of the built-in authorization server: <c>auth.signing_key</c> signs, it and <c>auth.previous_signing_keys</c>
/// validate and are published at /.well-known/jwks.json. Loaded through secret resolution, so every instance has the same keys.
/// </summary>
public sealed class SigningKeys(ISecretResolver secrets, AuthSettingsProvider settings)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Fingerprint, KeySet Keys)? _loaded;

    /// <summary>The loaded key set.</summary>
    public sealed record KeySet(SigningCredentials Signing, IReadOnlyList<SecurityKey> Validation, string Jwks);

    /// <summary>The current key set (cached until the configuration names other keys).</summary>
    public async Task<KeySet> GetAsync(CancellationToken cancellationToken)
    {
        var auth = settings.Current.Auth;
        var fingerprint = auth.SigningKey + "|" + auth.SigningKeyId + "|" + string.Join("|", auth.PreviousSigningKeys);
        if (_loaded is { } loaded && loaded.Fingerprint == fingerprint)
        {
            return loaded.Keys;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_loaded is { } again && again.Fingerprint == fingerprint)
            {
                return again.Keys;
            }
            var current = await LoadAsync(auth.SigningKey ?? throw new InvalidOperationException("auth.signing_key is not set"), "auth.signing_key", auth.SigningKeyId, cancellationToken);
            var keys = new List<SecurityKey> { current };
            for (var i = 0; i < auth.PreviousSigningKeys.Count; i++)
            {
                keys.Add(await LoadAsync(auth.PreviousSigningKeys[i], $"auth.previous_signing_keys[{i}]", null, cancellationToken));
            }
            var algorithm = current is ECDsaSecurityKey ec ? EcAlgorithm(ec.ECDsa) : SecurityAlgorithms.RsaSha256;
            var jwks = new JsonArray();
            foreach (var key in keys)
            {
                var jwk = JsonNode.Parse(JsonSerializer.Serialize(PublicJwk(key), AuthJsonContext.Default.PublicJwk))!;
                jwks.Add(jwk);
            }
            var set = new KeySet(new SigningCredentials(current, algorithm), keys, new JsonObject { ["keys"] = jwks }.ToJsonString());
            _loaded = (fingerprint, set);
            return set;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SecurityKey> LoadAsync(string reference, string path, string? keyId, CancellationToken cancellationToken)
    {
        var material = (await secrets.ResolveAsync(reference, path, cancellationToken)).Trim();
        AsymmetricSecurityKey key;
        try
        {
            if (material.StartsWith('{'))
            {
                var jwk = new JsonWebKey(material);
                if (!jwk.HasPrivateKey)
                {
                    throw new InvalidOperationException($"{path}: the JWK has no private part");
                }
                key = jwk.Kty switch
                {
                    "RSA" => new RsaSecurityKey(new RSAParameters
                    {
                        Modulus = Base64UrlEncoder.DecodeBytes(jwk.N),
                        Exponent = Base64UrlEncoder.DecodeBytes(jwk.E),
                        D = Base64UrlEncoder.DecodeBytes(jwk.D),
                        P = Base64UrlEncoder.DecodeBytes(jwk.P),
                        Q = Base64UrlEncoder.DecodeBytes(jwk.Q),
                        DP = Base64UrlEncoder.DecodeBytes(jwk.DP),
                        DQ = Base64UrlEncoder.DecodeBytes(jwk.DQ),
                        InverseQ = Base64UrlEncoder.DecodeBytes(jwk.QI),
                    }),
                    "EC" => new ECDsaSecurityKey(ECDsa.Create(new ECParameters
                    {
                        Curve = jwk.Crv switch { "P-256" => ECCurve.NamedCurves.nistP256, "P-384" => ECCurve.NamedCurves.nistP384, _ => ECCurve.NamedCurves.nistP521 },
                        Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk.X), Y = Base64UrlEncoder.DecodeBytes(jwk.Y) },
                        D = Base64UrlEncoder.DecodeBytes(jwk.D),
                    })),
                    _ => throw new InvalidOperationException($"{path}: JWK key type '{jwk.Kty}' is not supported (RSA or EC)"),
                };
                keyId ??= jwk.Kid;
            }
            else if (material.Contains("EC PRIVATE KEY", StringComparison.Ordinal) || IsEcPkcs8(material))
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(material);
                key = new ECDsaSecurityKey(ec);
            }
            else
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(material);
                key = new RsaSecurityKey(rsa);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or FormatException)
        {
            throw new InvalidOperationException($"{path}: not a PEM RSA/EC private key or a private JWK ({ex.GetType().Name})", ex);
        }
        key.KeyId = keyId ?? Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromSecurityKey(PublicKey(key)).ComputeJwkThumbprint());
        return key;
    }

    private static bool IsEcPkcs8(string pem)
    {
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static string EcAlgorithm(ECDsa ec) => ec.KeySize switch { 256 => SecurityAlgorithms.EcdsaSha256, 384 => SecurityAlgorithms.EcdsaSha384, _ => SecurityAlgorithms.EcdsaSha512 };

    private static SecurityKey PublicKey(SecurityKey key) => key switch
    {
        RsaSecurityKey rsa => new RsaSecurityKey((rsa.Rsa?.ExportParameters(false)) ?? new RSAParameters { Modulus = rsa.Parameters.Modulus, Exponent = rsa.Parameters.Exponent }) { KeyId = key.KeyId },
        ECDsaSecurityKey ec => new ECDsaSecurityKey(ECDsa.Create(ec.ECDsa.ExportParameters(false))) { KeyId = key.KeyId },
        _ => throw new InvalidOperationException("unsupported key"),
    };

    private static PublicJwk PublicJwk(SecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(PublicKey(key));
        return key is ECDsaSecurityKey ec
            ? new PublicJwk("EC", key.KeyId, "sig", EcAlgorithm(ec.ECDsa), null, null, jwk.Crv, jwk.X, jwk.Y)
            : new PublicJwk("RSA", key.KeyId, "sig", SecurityAlgorithms.RsaSha256, jwk.N, jwk.E, null, null, null);
    }
}
