namespace MasterMcp.Storage;

/// <summary>Where Table Storage lives and how to authenticate to it.</summary>
public sealed record StorageOptions
{
    private const string Setting = "AzureWebJobsStorage";

    /// <summary>A storage connection string (account key, SAS, or <c>UseDevelopmentStorage=true</c>).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The table service endpoint for identity-based access, e.g. <c>https://acct.table.core.windows.net</c>.</summary>
    public string? TableServiceUri { get; init; }

    /// <summary>The storage account name (informational when <see cref="TableServiceUri"/> is set).</summary>
    public string? AccountName { get; init; }

    /// <summary>"managedidentity" selects <c>ManagedIdentityCredential</c>; anything else uses <c>DefaultAzureCredential</c>.</summary>
    public string? Credential { get; init; }

    /// <summary>Client id of a user-assigned managed identity.</summary>
    public string? ClientId { get; init; }

    /// <summary>Prepended to every logical table name; only letters and digits are kept.</summary>
    public string TablePrefix { get; init; } = "mastermcp";

    /// <summary>Network timeout per request; also bounds <see cref="IStoreFactory.CheckAsync"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads the Functions storage settings: the override (config <c>storage.connection_string</c>) wins, then
    /// <c>AzureWebJobsStorage</c>, then identity-based <c>AzureWebJobsStorage__tableServiceUri</c> or
    /// <c>AzureWebJobsStorage__accountName</c> with <c>__credential</c> and <c>__clientId</c>.
    /// Each <c>__</c> setting is also looked up with <c>:</c> (the IConfiguration spelling).
    /// </summary>
    public static StorageOptions FromSettings(Func<string, string?> getSetting, string? connectionStringOverride)
    {
        ArgumentNullException.ThrowIfNull(getSetting);

        if (!string.IsNullOrWhiteSpace(connectionStringOverride))
        {
            return new StorageOptions { ConnectionString = connectionStringOverride.Trim() };
        }

        var connectionString = getSetting(Setting);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageOptions { ConnectionString = connectionString.Trim() };
        }

        var serviceUri = Read(getSetting, "tableServiceUri");
        var accountName = Read(getSetting, "accountName");
        if (serviceUri is null && accountName is null)
        {
            throw new InvalidOperationException(
                "Table Storage is not configured. Set AzureWebJobsStorage to a connection string (UseDevelopmentStorage=true for Azurite), "
                + "or AzureWebJobsStorage__tableServiceUri or AzureWebJobsStorage__accountName for identity-based access "
                + "(with AzureWebJobsStorage__credential=managedidentity and AzureWebJobsStorage__clientId for a user-assigned identity), "
                + "or storage.connection_string in the gateway configuration.");
        }

        serviceUri ??= $"https://{accountName}.table.core.windows.net";
        if (!Uri.TryCreate(serviceUri, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException(
                $"AzureWebJobsStorage__tableServiceUri / AzureWebJobsStorage__accountName give '{serviceUri}', which is not an absolute http(s) URL.");
        }

        return new StorageOptions
        {
            TableServiceUri = serviceUri,
            AccountName = accountName,
            Credential = Read(getSetting, "credential"),
            ClientId = Read(getSetting, "clientId"),
        };
    }

    private static string? Read(Func<string, string?> getSetting, string name)
    {
        var value = getSetting($"{Setting}__{name}");
        if (string.IsNullOrWhiteSpace(value))
        {
            value = getSetting($"{Setting}:{name}");
        }

        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
