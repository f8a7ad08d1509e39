namespace MasterMcp.Admin;

/// <summary>
/// The runtime overrides in force on this instance, as last read by <see cref="RuntimeOverrides"/>. Kept apart (no
/// dependencies) so that low-level parts such as the authorization server's client registry can consult it.
/// </summary>
public sealed class OverrideState
{
    private OverrideSet _current = OverrideSet.Empty;

    /// <summary>The overrides in force.</summary>
    public OverrideSet Current
    {
        get => Volatile.Read(ref _current);
        internal set => Volatile.Write(ref _current, value);
    }

    /// <summary>True when an admin deleted this OAuth client (the authorization server treats it as unknown until restored).</summary>
    public bool IsClientDeleted(string clientId) => Current.DeletedClients.ContainsKey(clientId);
}
