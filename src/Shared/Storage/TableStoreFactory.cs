using System.Collections.Concurrent;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;

namespace MasterMcp.Storage;

/// <summary>
/// Hands out <see cref="AzureTableStore"/>s over one <see cref="TableServiceClient"/>, with short retries and a network timeout
/// so that unreachable storage fails within seconds.
/// </summary>
public sealed class TableStoreFactory : IStoreFactory
{
    private readonly TableServiceClient _client;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly string[] _secrets;
    private readonly ConcurrentDictionary<string, AzureTableStore> _stores = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the factory from options (connection string, or endpoint plus Entra ID credential).</summary>
    public TableStoreFactory(StorageOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _secrets = SecretsOf(options.ConnectionString);
        _client = CreateClient(options);
        Endpoint = StorageErrors.Redact(_client.Uri);
    }

    /// <summary>The table service endpoint, without credentials.</summary>
    public string Endpoint { get; }

    /// <inheritdoc />
    public ITableStore GetTable(string name) =>
        _stores.GetOrAdd(
            GetTableName(_options.TablePrefix, name),
            static (tableName, self) => new AzureTableStore(
                self._client.GetTableClient(tableName), self._time, self.Endpoint, self._options.Timeout, self._secrets),
            this);

    /// <inheritdoc />
    public async Task CheckAsync(CancellationToken cancellationToken = default)
    {
        // The bound runs on the factory's clock (tests pass a fake one); the SDK's per-try network timeout is its own.
        using var deadline = new CancellationTokenSource(_options.Timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            // Listing tables under a name that never exists is the cheapest authenticated call that data-plane roles allow.
            var filter = TableServiceClient.CreateQueryFilter($"TableName eq {GetTableName(_options.TablePrefix, "healthcheck")}");
            await foreach (var _ in _client.QueryAsync(filter, maxPerPage: 1, timeout.Token).AsPages())
            {
                break;
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw StorageErrors.Unavailable(Endpoint, ex, _options.Timeout, _secrets);
        }
    }

    /// <summary>
    /// The physical table name: prefix + logical name with everything but ASCII letters and digits removed;
    /// throws when the result is not a valid table name (3–63 characters, starting with a letter).
    /// </summary>
    public static string GetTableName(string prefix, string name)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var tableName = string.Concat((prefix + name).Where(char.IsAsciiLetterOrDigit));
        if (tableName.Length is < 3 or > 63 || !char.IsAsciiLetter(tableName[0]))
        {
            throw new ArgumentException(
                $"Table prefix '{prefix}' and name '{name}' give '{tableName}'; a table name needs 3-63 letters or digits and must start with a letter.",
                nameof(name));
        }

        return tableName;
    }

    private static TableServiceClient CreateClient(StorageOptions options)
    {
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        clientOptions.Retry.NetworkTimeout = options.Timeout;

        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                return new TableServiceClient(options.ConnectionString, clientOptions);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                // The parser's message can quote the connection string, so it is not passed on.
                throw new ArgumentException(
                    "The storage connection string (AzureWebJobsStorage or storage.connection_string) is not valid: it needs TableEndpoint or AccountName with AccountKey or SharedAccessSignature, or UseDevelopmentStorage=true.",
                    nameof(options));
            }
        }

        if (string.IsNullOrWhiteSpace(options.TableServiceUri) || !Uri.TryCreate(options.TableServiceUri, UriKind.Absolute, out var serviceUri))
        {
            throw new ArgumentException("StorageOptions needs a ConnectionString or an absolute TableServiceUri.", nameof(options));
        }

        TokenCredential credential = string.Equals(options.Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrEmpty(options.ClientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(options.ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = options.ClientId });
        return new TableServiceClient(serviceUri, credential, clientOptions);
    }

    private static string[] SecretsOf(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return [];
        }

        var secrets = new List<string> { connectionString };
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part[..equals].Trim() is var key
                && (key.Equals("AccountKey", StringComparison.OrdinalIgnoreCase) || key.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase)))
            {
                secrets.Add(part[(equals + 1)..]);
            }
        }

        return [.. secrets];
    }
}
