using System.Security.Cryptography;
using System.Text;

namespace MasterMcp.Credentials;

/// <summary>
/// AES-256-GCM encryption of token sets. The output carries the key id (<c>{kid}.{base64url(nonce|ciphertext|tag)}</c>),
/// and the row's identity is bound in as associated data, so a value copied to another row does not decrypt.
/// </summary>
public sealed class TokenProtector(TokenKeyRing keys)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>The key ring in use.</summary>
    public TokenKeyRing Keys => keys;

    /// <summary>Encrypts with the current key.</summary>
    public string Protect(string plaintext, string associatedData)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + data.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(keys.Current, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize, data.Length), output.AsSpan(NonceSize + data.Length), Encoding.UTF8.GetBytes(associatedData));
        CryptographicOperations.ZeroMemory(data);
        return keys.CurrentKeyId + "." + Base64Url(output);
    }

    /// <summary>The key id a protected value was written with.</summary>
    public static string KeyIdOf(string protectedValue) => protectedValue[..Math.Max(0, protectedValue.IndexOf('.', StringComparison.Ordinal))];

    /// <summary>Decrypts with whichever key of the ring wrote it; throws <see cref="CryptographicException"/> when it cannot.</summary>
    public string Unprotect(string protectedValue, string associatedData)
    {
        var dot = protectedValue.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw new CryptographicException("stored token value has no key id");
        }
        var kid = protectedValue[..dot];
        if (!keys.TryGet(kid, out var key))
        {
            throw new CryptographicException($"stored token was written with key '{kid}', which is not in TOKEN_ENC_KEY");
        }
        var input = FromBase64Url(protectedValue[(dot + 1)..]);
        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("stored token value is truncated");
        }
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, plaintext.Length), input.AsSpan(NonceSize + plaintext.Length), plaintext, Encoding.UTF8.GetBytes(associatedData));
        }
        catch (AuthenticationTagMismatchException)
        {
            // Names the key id only. The usual cause: instances started with different TOKEN_ENC_KEY values under the same id.
            throw new CryptographicException($"stored value was written with key '{kid}', and this instance's key '{kid}' does not decrypt it " +
                "(TOKEN_ENC_KEY differs between instances, or the value was altered or moved to another row)");
        }
        return Encoding.UTF8.GetString(plaintext);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
