namespace MasterMcp.Scaleout;

/// <summary>This process among the gateway's instances: a random id chosen at start, never reused after a restart.</summary>
public sealed class InstanceIdentity
{
    /// <summary>A new identity with a random id.</summary>
    public InstanceIdentity()
        : this(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)))
    {
    }

    /// <summary>An identity with a given id (tests).</summary>
    public InstanceIdentity(string id) => Id = id;

    /// <summary>12 lowercase hex characters; part of every session id this instance issues.</summary>
    public string Id { get; }
}
