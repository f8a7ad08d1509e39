namespace MasterMcp.Backends;

/// <summary>Which backends a reload added, removed or changed (by id); every other backend was left as it was.</summary>
public sealed record BackendChanges(IReadOnlySet<string> Added, IReadOnlySet<string> Removed, IReadOnlySet<string> Changed)
{
    /// <summary>Every id that was added, removed or changed.</summary>
    public IEnumerable<string> All => Added.Concat(Removed).Concat(Changed);

    /// <summary>True when nothing changed.</summary>
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>The difference between two sets of definitions, compared structurally.</summary>
    public static BackendChanges Between(IReadOnlyList<BackendDefinition> previous, IReadOnlyList<BackendDefinition> next)
    {
        var before = previous.ToDictionary(d => d.Id, StringComparer.Ordinal);
        var after = next.ToDictionary(d => d.Id, StringComparer.Ordinal);
        return new BackendChanges(
            after.Keys.Where(id => !before.ContainsKey(id)).ToHashSet(StringComparer.Ordinal),
            before.Keys.Where(id => !after.ContainsKey(id)).ToHashSet(StringComparer.Ordinal),
            after.Where(p => before.TryGetValue(p.Key, out var old) && !old.Equals(p.Value)).Select(p => p.Key).ToHashSet(StringComparer.Ordinal));
    }
}
