namespace MasterMcp.Credentials;

/// <summary>A gateway user: the upstream issuer and subject.</summary>
public sealed record UserIdentity(string Issuer, string Subject)
{
    /// <summary>A stable, non-reversible key for storage.</summary>
    public string StorageKey => Storage.TableKey.Hash(Issuer + "\n" + Subject);
}
