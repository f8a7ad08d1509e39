namespace MasterMcp.Secrets;

/// <summary>
/// Resolves secret references: <c>env:NAME</c>, <c>file:/path</c>, <c>kv:name</c>. Any other value is returned unchanged.
/// </summary>
public interface ISecretResolver
{
    /// <summary>True when the value is a reference this resolver understands.</summary>
    bool IsReference(string? value);

    /// <summary>
    /// Resolves a value. Throws <see cref="SecretResolutionException"/> naming the <paramref name="settingPath"/> and the reference kind,
    /// never the secret value, when it cannot be resolved.
    /// </summary>
    ValueTask<string> ResolveAsync(string value, string settingPath, CancellationToken cancellationToken = default);
}
