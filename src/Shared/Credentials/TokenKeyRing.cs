using System.Security.Cryptography;

namespace MasterMcp.Credentials;

/// <summary>
/// The AES-256 keys that protect stored tokens, from <c>TOKEN_ENC_KEY</c>: either one base64 32-byte key (key id "k1"),
/// or a ring <c>kid1:base64,kid2:base64</c> whose last entry is current. Reads accept every key of the ring; writes use
/// the current one, so adding a key, rotating and then removing the old key loses nothing.
/// </summary>
public sealed class TokenKeyRing
{
    private readonly Dictionary<string, byte[]> _keys;

    private TokenKeyRing(Dictionary<string, byte[]> keys, string currentKeyId, bool isEphemeral)
    {
        _keys = keys;
        CurrentKeyId = currentKeyId;
        IsEphemeral = isEphemeral;
    }

    /// <summary>The id of the key new values are encrypted with.</summary>
    public string CurrentKeyId { get; }

    /// <summary>True for a key generated at startup (Development without TOKEN_ENC_KEY): tokens do not survive a restart.</summary>
    public bool IsEphemeral { get; }

    /// <summary>Every key id of the ring.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Parses a key or key ring. Errors name the key id or position, never key material.</summary>
    public static TokenKeyRing Parse(string value)
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var entries = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            throw new FormatException("TOKEN_ENC_KEY is empty");
        }
        string current = "";
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var (kid, material) = colon > 0 ? (entry[..colon], entry[(colon + 1)..]) : (entries.Length == 1 ? "k1" : "", entry);
            if (kid.Length == 0 || !kid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new FormatException($"TOKEN_ENC_KEY entry {i + 1}: a key ring entry needs a key id (letters, digits, '-', '_') before ':'");
            }
            byte[] key;
            try
            {
                key = Convert.FromBase64String(material);
            }
            catch (FormatException)
            {
                throw new FormatException($"TOKEN_ENC_KEY key '{kid}' is not valid base64");
            }
            if (key.Length != 32)
            {
                throw new FormatException($"TOKEN_ENC_KEY key '{kid}' must be 32 bytes (AES-256), not {key.Length}");
            }
            if (!keys.TryAdd(kid, key))
            {
                throw new FormatException($"TOKEN_ENC_KEY key id '{kid}' appears twice");
            }
            current = kid;
        }
        return new TokenKeyRing(keys, current, isEphemeral: false);
    }

    /// <summary>A random key for this process only (Development without a configured key).</summary>
    public static TokenKeyRing Ephemeral() =>
        new(new Dictionary<string, byte[]> { ["ephemeral"] = RandomNumberGenerator.GetBytes(32) }, "ephemeral", isEphemeral: true);

    /// <summary>A new random key in the TOKEN_ENC_KEY format, for operators.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A key for another purpose (HKDF-SHA256 with the purpose as info), derived from the ring's first key: every instance
    /// configured with the same TOKEN_ENC_KEY derives the same key, and adding a key to rotate does not change it.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _keys.First().Value, 32, salt: [], info: System.Text.Encoding.UTF8.GetBytes(purpose));

    internal bool TryGet(string keyId, out byte[] key) => _keys.TryGetValue(keyId, out key!);

    internal byte[] Current => _keys[CurrentKeyId];
}
