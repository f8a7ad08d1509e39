namespace MasterMcp.Admin;

/// <summary>What a runtime override does; each kind is one partition of the admin table.</summary>
public enum OverrideKind
{
    /// <summary>A configured backend switched off: it leaves every list until enabled again.</summary>
    BackendDisabled,

    /// <summary>An OAuth client deleted: the authorization server treats it as unknown until restored.</summary>
    ClientDeleted,

    /// <summary>A user's backend connection revoked (its stored token is already deleted); every instance closes that user's sessions of the backend.</summary>
    ConnectionRevoked,
}
