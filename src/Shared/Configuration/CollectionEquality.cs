namespace MasterMcp.Configuration;

/// <summary>
/// Structural equality of the collections in configuration records (a record compares a list or dictionary member by
/// reference, so two loads of the same file would differ). Follows YARP's <c>CollectionEqualityHelper</c>.
/// </summary>
internal static class CollectionEquality
{
    /// <summary>Same items in the same order (ordinal for strings).</summary>
    public static bool Equals<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }
        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Count; i++)
        {
            if (!comparer.Equals(a[i], b[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Same keys with the same values (ordinal), in any order.</summary>
    public static bool Equals(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }
        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A hash consistent with <see cref="Equals{T}(IReadOnlyList{T}?, IReadOnlyList{T}?)"/>.</summary>
    public static int GetHashCode<T>(IReadOnlyList<T>? list)
    {
        var hash = new HashCode();
        foreach (var item in list ?? [])
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }

    /// <summary>A hash consistent with <see cref="Equals(IReadOnlyDictionary{string, string}?, IReadOnlyDictionary{string, string}?)"/> (independent of order).</summary>
    public static int GetHashCode(IReadOnlyDictionary<string, string>? dictionary)
    {
        if (dictionary is null)
        {
            return 0;
        }
        // Values only: the key comparer of either dictionary may differ from ordinal, the values are compared ordinally.
        var sum = dictionary.Count;
        foreach (var value in dictionary.Values)
        {
            sum = unchecked(sum + StringComparer.Ordinal.GetHashCode(value));
        }
        return sum;
    }
}
