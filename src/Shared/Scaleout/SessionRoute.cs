using System.Security.Cryptography;
using System.Text;

namespace MasterMcp.Scaleout;

/// <summary>
/// Where a session lives, read from the session id itself: <c>{owner}.{sdk session id}.{mac}</c>. The MAC (HMAC-SHA256 with
/// the deployment's routing key, 128 bits) covers the owner, the SDK's id, the user the session belongs to and the
/// virtual server it was opened on (none for /mcp), so an instance can forward a request to the owner without a lookup,
/// and an id altered, made up, presented by another user or at another virtual server is simply unknown.
/// </summary>
public readonly record struct SessionRoute(string Owner, string LocalId)
{
    private const int MacBytes = 16;

    /// <summary>The session id clients see for <paramref name="localId"/> (the SDK's id) owned by <paramref name="owner"/>.</summary>
    public static string Issue(ReadOnlySpan<byte> key, string owner, string localId, string? userKey, string? virtualServer = null) =>
        owner + "." + localId + "." + Mac(key, owner, localId, userKey, virtualServer);

    /// <summary>Reads a session id presented by <paramref name="userKey"/>; false when it is malformed, forged or another user's.</summary>
    public static bool TryRead(ReadOnlySpan<byte> key, string presented, string? userKey, out SessionRoute route) =>
        TryRead(key, presented, userKey, null, out route);

    /// <summary>Reads a session id presented at <paramref name="virtualServer"/> (null: /mcp); false when it was issued for another one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> key, string presented, string? userKey, string? virtualServer, out SessionRoute route)
    {
        route = default;
        var first = presented.IndexOf('.', StringComparison.Ordinal);
        var last = presented.LastIndexOf('.');
        if (first <= 0 || last <= first + 1 || last == presented.Length - 1)
        {
            return false;
        }
        var owner = presented[..first];
        var localId = presented[(first + 1)..last];
        var expected = Mac(key, owner, localId, userKey, virtualServer);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented[(last + 1)..])))
        {
            return false;
        }
        route = new SessionRoute(owner, localId);
        return true;
    }

    private static string Mac(ReadOnlySpan<byte> key, string owner, string localId, string? userKey, string? virtualServer)
    {
        Span<byte> hash = stackalloc byte[32];
        // /mcp keeps the input it always had (ids issued before virtual servers existed stay valid); user keys are hex.
        var input = owner + "\n" + localId + "\n" + userKey + (virtualServer is null ? "" : "\nvs:" + virtualServer);
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(input), hash);
        return Convert.ToBase64String(hash[..MacBytes]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
