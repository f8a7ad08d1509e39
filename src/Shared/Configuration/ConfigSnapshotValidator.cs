using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Credentials;
using MasterMcp.Secrets;

namespace MasterMcp.Configuration;

/// <summary>
/// The rules a configuration must meet before a process serves with it, checked alike at startup and on every reload:
/// the environment policy (authentication outside Development, memory storage only in Development, TOKEN_ENC_KEY outside
/// Development), launchers on PATH, and every secret reference resolvable. Reports every problem at once.
/// </summary>
public static class ConfigSnapshotValidator
{
    /// <summary>Loads the configuration from <paramref name="inputs"/> and validates it; throws <see cref="ConfigurationException"/> listing every problem.</summary>
    public static async Task<ConfigSnapshot> LoadAsync(ConfigInputs inputs, Func<GatewayOptions, ISecretResolver> resolverFactory, CancellationToken cancellationToken = default) =>
        await ValidateAsync(ConfigurationLoader.Load(inputs), resolverFactory, cancellationToken);

    /// <summary>Checks every serving rule for <paramref name="config"/>; throws <see cref="ConfigurationException"/> listing every problem.</summary>
    public static async Task<ConfigSnapshot> ValidateAsync(LoadedConfiguration config, Func<GatewayOptions, ISecretResolver> resolverFactory, CancellationToken cancellationToken = default)
    {
        var errors = new List<string>();
        IReadOnlyList<BackendDefinition> backends = [];
        try
        {
            backends = BackendDefinitions.From(config.Options);
        }
        catch (ConfigurationException ex)
        {
            errors.AddRange(ex.Errors);
        }
        if (config.Options.Storage.Provider == "memory" && !config.IsDevelopment)
        {
            errors.Add($"storage.provider: 'memory' is for Development only (environment is '{config.EnvironmentName}'): state would not survive a restart or reach a second instance");
        }
        var resolver = resolverFactory(config.Options);
        foreach (var (path, value) in StringValues(config.Document, ""))
        {
            if (!resolver.IsReference(value))
            {
                continue;
            }
            try
            {
                await resolver.ResolveAsync(value, path, cancellationToken);
            }
            catch (SecretResolutionException ex)
            {
                errors.Add(ex.Message);
            }
        }
        errors.AddRange(AuthOptionsValidator.ValidateMode(config.Options, config.EnvironmentName).Select(p => $"{p.Path}: {p.Message}"));
        TokenKeyRing? tokenKeys = null;
        if (config.Options.Credentials.TokenEncryptionKey is { Length: > 0 } keySetting && errors.Count == 0)
        {
            try
            {
                tokenKeys = TokenKeyRing.Parse(await resolver.ResolveAsync(keySetting, "credentials.token_encryption_key", cancellationToken));
            }
            catch (FormatException ex)
            {
                errors.Add("credentials.token_encryption_key (TOKEN_ENC_KEY): " + ex.Message);
            }
        }
        else if (!config.IsDevelopment)
        {
            errors.Add($"TOKEN_ENC_KEY (credentials.token_encryption_key) is required in the {config.EnvironmentName} environment: it encrypts per-user backend tokens at rest. Generate one with `openssl rand -base64 32` and pass it as a secret reference (e.g. kv:token-enc-key)");
        }
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }
        return new ConfigSnapshot(config, backends, tokenKeys);
    }

    private static IEnumerable<(string Path, string Value)> StringValues(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var item in StringValues(child, path.Length == 0 ? key : path + "." + key))
                    {
                        yield return item;
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var item in StringValues(array[i], $"{path}[{i}]"))
                    {
                        yield return item;
                    }
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                yield return (path, s);
                break;
        }
    }
}
