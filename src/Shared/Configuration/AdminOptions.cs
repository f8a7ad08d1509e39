namespace MasterMcp.Configuration;

/// <summary>
/// Who may use the admin console (/admin) and the admin API (/admin/api/): people whose subject is listed, or whose token or
/// login carries one of the listed values in its <c>roles</c> or <c>groups</c> claim (an Entra app role or group id).
/// </summary>
public sealed record AdminOptions
{
    /// <summary>Subjects (the identity provider's <c>sub</c>) that are admins.</summary>
    public IReadOnlyList<string> Subjects { get; set; } = [];

    /// <summary>Values of the <c>roles</c> or <c>groups</c> claim that make their holder an admin.</summary>
    public IReadOnlyList<string> Roles { get; set; } = [];

    /// <summary>How often each instance re-reads the runtime overrides from storage: the bound on propagation when Redis is absent or down.</summary>
    public int RefreshSeconds { get; set; } = 10;

    /// <inheritdoc />
    public bool Equals(AdminOptions? other) =>
        other is not null && CollectionEquality.Equals(Subjects, other.Subjects) && CollectionEquality.Equals(Roles, other.Roles) && RefreshSeconds == other.RefreshSeconds;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Subjects.Count, Roles.Count, RefreshSeconds);
}
