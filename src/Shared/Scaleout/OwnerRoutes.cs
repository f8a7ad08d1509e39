using MasterMcp.Credentials;

namespace MasterMcp.Scaleout;

/// <summary>
/// What clients send back that names a live thing on one instance — a session id, a 2026-07-28 <c>requestState</c> — is
/// issued here as <c>{owner}.{local id}.{mac}</c> (<see cref="SessionRoute"/>), and read back here. Without the Redis
/// backplane there is one instance: ids are issued and read unchanged.
/// </summary>
public sealed class OwnerRoutes(InstanceIdentity instance, TokenKeyRing tokenKeys, RedisBackplane? backplane = null)
{
    private const string Purpose = "mastermcp/owner-routes/v1";
    private byte[]? _key = backplane is not null && !tokenKeys.IsEphemeral ? tokenKeys.DeriveKey(Purpose) : null;

    /// <summary>True when ids name their owner (several instances share a Redis backplane).</summary>
    public bool Enabled => backplane is not null;

    /// <summary>This instance's id.</summary>
    public string Self => instance.Id;

    /// <summary>
    /// Makes sure the signing key is known. Derived from TOKEN_ENC_KEY when one is configured (every instance of a
    /// deployment shares it); otherwise (Development) one key is created once per deployment and kept in Redis.
    /// </summary>
    public async ValueTask EnsureKeyAsync(CancellationToken cancellationToken)
    {
        if (backplane is not null && Volatile.Read(ref _key) is null)
        {
            Volatile.Write(ref _key, await backplane.RoutingKeyAsync(cancellationToken));
        }
    }

    /// <summary>The id a client gets for <paramref name="localId"/> owned by this instance and bound to <paramref name="userKey"/>.</summary>
    public string Issue(string localId, string? userKey) => Issue(localId, userKey, null);

    /// <summary>The id of a session opened at virtual server <paramref name="virtualServer"/> (null: /mcp), bound to it too.</summary>
    public string Issue(string localId, string? userKey, string? virtualServer) =>
        _key is { } key ? SessionRoute.Issue(key, instance.Id, localId, userKey, virtualServer) : localId;

    /// <summary>Reads an id a client presented; false when it is malformed, forged or another user's.</summary>
    public bool TryRead(string presented, string? userKey, out SessionRoute route) => TryRead(presented, userKey, null, out route);

    /// <summary>Reads a session id presented at <paramref name="virtualServer"/>; false when it is malformed, forged, another user's or opened elsewhere.</summary>
    public bool TryRead(string presented, string? userKey, string? virtualServer, out SessionRoute route)
    {
        if (!Enabled)
        {
            route = new SessionRoute(instance.Id, presented);
            return true;
        }
        return SessionRoute.TryRead(_key ?? throw new InvalidOperationException("the routing key is not loaded yet"), presented, userKey, virtualServer, out route);
    }
}
