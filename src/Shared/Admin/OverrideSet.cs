namespace MasterMcp.Admin;

/// <summary>The runtime overrides in force at one moment, by kind.</summary>
public sealed class OverrideSet
{
    /// <summary>No overrides.</summary>
    public static readonly OverrideSet Empty = new([]);

    public OverrideSet(IEnumerable<OverrideRecord> records)
    {
        var all = records.ToList();
        DisabledBackends = all.Where(r => r.Kind == OverrideKind.BackendDisabled).GroupBy(r => r.Target, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        DeletedClients = all.Where(r => r.Kind == OverrideKind.ClientDeleted).GroupBy(r => r.Target, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        Revocations = [.. all.Where(r => r.Kind == OverrideKind.ConnectionRevoked).OrderBy(r => r.At)];
    }

    /// <summary>Disabled backends by id.</summary>
    public IReadOnlyDictionary<string, OverrideRecord> DisabledBackends { get; }

    /// <summary>Deleted OAuth clients by client id.</summary>
    public IReadOnlyDictionary<string, OverrideRecord> DeletedClients { get; }

    /// <summary>Recent revocations of user connections, oldest first.</summary>
    public IReadOnlyList<OverrideRecord> Revocations { get; }
}
