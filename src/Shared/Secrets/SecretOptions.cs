namespace MasterMcp.Secrets;

/// <summary>Where <c>kv:</c> references are looked up and how long resolved Key Vault values are reused.</summary>
public sealed record SecretOptions
{
    /// <summary>The vault, e.g. <c>https://my-vault.vault.azure.net/</c> (setting <c>secrets.key_vault_uri</c>); null disables <c>kv:</c> references.</summary>
    public string? KeyVaultUri { get; init; }

    /// <summary>How long a Key Vault value is served from memory before it is fetched again, so rotation is picked up.</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(5);
}
