using System.Collections.Concurrent;
using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MasterMcp.Secrets;

/// <summary>
/// Resolves <c>env:NAME</c>, <c>file:/path</c> and <c>kv:name[/version]</c> references; Key Vault values are cached for
/// <see cref="SecretOptions.CacheTtl"/> and concurrent lookups of one secret share a single fetch.
/// </summary>
public sealed partial class SecretResolver : ISecretResolver
{
    private const string EnvPrefix = "env:";
    private const string FilePrefix = "file:";
    private const string KeyVaultPrefix = "kv:";
    private const string AppServiceReferencePrefix = "@Microsoft.KeyVault(";

    private readonly SecretOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly ILogger _logger;
    private readonly Lazy<SecretClient>? _secretClient;
    private readonly ConcurrentDictionary<string, CachedSecret> _cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a resolver; every dependency but <paramref name="options"/> has a production default.</summary>
    /// <param name="options">Vault and cache settings.</param>
    /// <param name="timeProvider">Clock for the Key Vault cache; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="secretClientFactory">Builds the <see cref="SecretClient"/> for the vault; <see cref="CreateDefaultSecretClient"/> when null.</param>
    /// <param name="getEnvironmentVariable">Reads environment variables; <see cref="Environment.GetEnvironmentVariable(string)"/> when null.</param>
    /// <param name="logger">Logger; nothing is logged when null.</param>
    public SecretResolver(
        SecretOptions options,
        TimeProvider? timeProvider = null,
        Func<Uri, SecretClient>? secretClientFactory = null,
        Func<string, string?>? getEnvironmentVariable = null,
        ILogger<SecretResolver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _getEnvironmentVariable = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
        _logger = logger ?? (ILogger)NullLogger.Instance;

        if (Uri.TryCreate(options.KeyVaultUri, UriKind.Absolute, out var vaultUri))
        {
            var factory = secretClientFactory ?? CreateDefaultSecretClient;
            _secretClient = new Lazy<SecretClient>(() => factory(vaultUri));
        }
    }

    /// <summary>
    /// The production client: <see cref="DefaultAzureCredential"/>, preferring the user-assigned managed identity named by <c>AZURE_CLIENT_ID</c>.
    /// </summary>
    public static SecretClient CreateDefaultSecretClient(Uri vaultUri)
    {
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = Environment.GetEnvironmentVariable("AZURE_CLIENT_ID") is { Length: > 0 } clientId ? clientId : null,
        });
        return new SecretClient(vaultUri, credential);
    }

    /// <inheritdoc />
    public bool IsReference(string? value) =>
        value is not null
        && (value.StartsWith(EnvPrefix, StringComparison.Ordinal)
            || value.StartsWith(FilePrefix, StringComparison.Ordinal)
            || value.StartsWith(KeyVaultPrefix, StringComparison.Ordinal)
            || IsAppServiceReference(value));

    /// <inheritdoc />
    public ValueTask<string> ResolveAsync(string value, string settingPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(settingPath);

        if (value.StartsWith(EnvPrefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(ResolveEnvironment(value[EnvPrefix.Length..], settingPath));
        }

        if (value.StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            return ResolveFileAsync(value[FilePrefix.Length..], settingPath, cancellationToken);
        }

        if (value.StartsWith(KeyVaultPrefix, StringComparison.Ordinal))
        {
            return ResolveKeyVaultAsync(value[KeyVaultPrefix.Length..], settingPath, cancellationToken);
        }

        if (IsAppServiceReference(value))
        {
            throw new SecretResolutionException(settingPath, AppServiceReferenceMessage(value, settingPath));
        }

        return ValueTask.FromResult(value);
    }

    private static bool IsAppServiceReference(string value) =>
        value.StartsWith(AppServiceReferencePrefix, StringComparison.OrdinalIgnoreCase);

    private static string AppServiceReferenceMessage(string value, string settingPath)
    {
        var message = $"setting '{settingPath}' still holds an unresolved Key Vault reference (@Microsoft.KeyVault(...)): "
            + "the platform resolves these only in Azure App Service/Functions; in a container use 'kv:<name>' instead";
        // The reference holds a vault address and a secret name, never the value, so echoing the name back is safe and saves a lookup.
        return TryGetAppServiceSecretName(value) is { } name ? $"{message} (here: 'kv:{name}')" : message;
    }

    private static string? TryGetAppServiceSecretName(string value)
    {
        var inner = value[AppServiceReferencePrefix.Length..].TrimEnd(')');
        foreach (var part in inner.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = part.IndexOf('=', StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }

            var key = part[..separator];
            var setting = part[(separator + 1)..];
            if (key.Equals("SecretName", StringComparison.OrdinalIgnoreCase) && IsValidSecretName(setting))
            {
                return setting;
            }

            if (key.Equals("SecretUri", StringComparison.OrdinalIgnoreCase)
                && Uri.TryCreate(setting, UriKind.Absolute, out var uri)
                && uri.Segments is [_, "secrets/" or "secrets", var nameSegment, ..]
                && IsValidSecretName(nameSegment.TrimEnd('/')))
            {
                return nameSegment.TrimEnd('/');
            }
        }

        return null;
    }

    private string ResolveEnvironment(string name, string settingPath)
    {
        if (name.Length == 0)
        {
            throw SecretResolutionException.Unresolved(settingPath, "reference 'env:' names no environment variable");
        }

        var value = _getEnvironmentVariable(name);
        return string.IsNullOrEmpty(value)
            ? throw SecretResolutionException.Unresolved(settingPath, $"environment variable '{name}' is not set")
            : value;
    }

    private static async ValueTask<string> ResolveFileAsync(string path, string settingPath, CancellationToken cancellationToken)
    {
        if (path.Length == 0)
        {
            throw SecretResolutionException.Unresolved(settingPath, "reference 'file:' names no file");
        }

        string content;
        try
        {
            content = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"file '{path}' does not exist", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"file '{path}' cannot be read: access denied", ex);
        }
        catch (IOException ex)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"file '{path}' cannot be read: {ex.GetType().Name}", ex);
        }

        // Mounted secrets and `echo secret > file` usually end in exactly one newline that is not part of the secret.
        if (content.EndsWith("\r\n", StringComparison.Ordinal))
        {
            content = content[..^2];
        }
        else if (content.EndsWith('\n'))
        {
            content = content[..^1];
        }

        return content.Length == 0
            ? throw SecretResolutionException.Unresolved(settingPath, $"file '{path}' is empty")
            : content;
    }

    private async ValueTask<string> ResolveKeyVaultAsync(string reference, string settingPath, CancellationToken cancellationToken)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? reference : reference[..slash];
        var version = slash < 0 ? null : reference[(slash + 1)..];

        if (!IsValidSecretName(name) || (version is not null && !IsValidVersion(version)))
        {
            throw SecretResolutionException.Unresolved(
                settingPath,
                $"'kv:{reference}' is not a Key Vault reference; expected 'kv:<name>' or 'kv:<name>/<version>' where the name is 1-127 letters, digits or dashes");
        }

        if (_secretClient is null)
        {
            var reason = string.IsNullOrWhiteSpace(_options.KeyVaultUri)
                ? $"Key Vault secret '{name}' is referenced but no vault is configured; set secrets.key_vault_uri"
                : $"Key Vault secret '{name}' is referenced but secrets.key_vault_uri '{_options.KeyVaultUri}' is not an absolute URI; set secrets.key_vault_uri";
            throw SecretResolutionException.Unresolved(settingPath, reason);
        }

        var now = _timeProvider.GetUtcNow();
        var entry = _cache.AddOrUpdate(
            reference,
            static (_, state) => state.Self.StartFetch(state.Name, state.Version, state.Now),
            static (_, existing, state) => state.Self.IsFresh(existing, state.Now) ? existing : state.Self.StartFetch(state.Name, state.Version, state.Now),
            (Self: this, Name: name, Version: version, Now: now));

        var vault = _options.KeyVaultUri;
        var described = version is null ? $"Key Vault secret '{name}'" : $"Key Vault secret '{name}' version '{version}'";
        try
        {
            // The fetch is shared, so one caller's cancellation must not cancel it for the others.
            return await entry.Value.Value.WaitAsync(cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"{described} not found in {vault}", ex);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw SecretResolutionException.Unresolved(
                settingPath,
                $"{described} in {vault}: access denied (HTTP {ex.Status} {ex.ErrorCode}); grant this app's identity the 'Key Vault Secrets User' role",
                ex);
        }
        catch (RequestFailedException ex) when (ex.Status == 0)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"{described}: cannot reach {vault} ({ex.InnerException?.Message ?? ex.Message})", ex);
        }
        catch (RequestFailedException ex)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"{described}: {vault} answered HTTP {ex.Status} {ex.ErrorCode}", ex);
        }
        catch (AuthenticationFailedException ex)
        {
            throw SecretResolutionException.Unresolved(
                settingPath,
                $"{described}: no Azure credential could get a token for {vault} (is a managed identity assigned, or AZURE_CLIENT_ID set?)",
                ex);
        }
        catch (KeyVaultSecretHasNoValueException ex)
        {
            throw SecretResolutionException.Unresolved(settingPath, $"{described} in {vault} has no value", ex);
        }
    }

    private bool IsFresh(CachedSecret entry, DateTimeOffset now)
    {
        var task = entry.Value.Value;
        if (!task.IsCompleted)
        {
            return true; // In flight: join it rather than fetch again.
        }

        // Failures are not cached: the next lookup tries again.
        return task.IsCompletedSuccessfully && now - entry.FetchedAt < _options.CacheTtl;
    }

    private CachedSecret StartFetch(string name, string? version, DateTimeOffset now) =>
        new(new Lazy<Task<string>>(() => FetchAsync(name, version)), now);

    private async Task<string> FetchAsync(string name, string? version)
    {
        var client = _secretClient!.Value;
        var response = await client.GetSecretAsync(name, version, CancellationToken.None);
        var secret = response.Value;
        LogFetched(_logger, name, secret.Properties.Version);
        return secret.Value is { Length: > 0 } value ? value : throw new KeyVaultSecretHasNoValueException();
    }

    private static bool IsValidSecretName(string name) =>
        name.Length is > 0 and <= 127 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsValidVersion(string version) =>
        version.Length > 0 && version.All(char.IsAsciiLetterOrDigit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetched Key Vault secret {SecretName} version {SecretVersion}")]
    private static partial void LogFetched(ILogger logger, string secretName, string? secretVersion);

    private sealed record CachedSecret(Lazy<Task<string>> Value, DateTimeOffset FetchedAt);

    private sealed class KeyVaultSecretHasNoValueException : Exception;
}
