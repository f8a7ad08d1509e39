using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>Random handles, hashes for storing them, and the PKCE S256 check.</summary>
public static class TokenCrypto
{
    /// <summary>A URL-safe random value with 256 bits of entropy.</summary>
    public static string NewHandle() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>True when <paramref name="value"/> has the shape of a <see cref="NewHandle"/> (43 base64url characters): anything else cannot be one, and is never looked up.</summary>
    public static bool IsHandleShaped(string value) => value.Length == 43 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The SHA-256 of a handle, hex: what is stored instead of the handle.</summary>
    public static string Hash(string handle) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));

    /// <summary>The S256 code challenge of a verifier.</summary>
    public static string S256(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>True when the verifier is well formed (RFC 7636: 43–128 unreserved characters) and matches the challenge.</summary>
    public static bool VerifyPkce(string? verifier, string challenge)
    {
        if (verifier is null || verifier.Length is < 43 or > 128 || !verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'))
        {
            return false;
        }
        return FixedEquals(S256(verifier), challenge);
    }

    /// <summary>Constant-time string comparison.</summary>
    public static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
