using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Secrets;

namespace MasterMcp.Hosting;

/// <summary>
/// What both hosts need before they build: the validated configuration, with every secret reference in it checked once,
/// so that a missing secret stops startup with a message naming the setting (never the value).
/// </summary>
public sealed record GatewayStartup(ConfigInputs Inputs, LoadedConfiguration Config)
{
    /// <summary>The keys that protect stored backend tokens (ephemeral in Development when none is configured).</summary>
    public TokenKeyRing TokenKeys { get; init; } = TokenKeyRing.Ephemeral();

    /// <summary>Loads and validates the configuration and resolves every secret reference in it once.</summary>
    public static async Task<GatewayStartup> PrepareAsync(ConfigInputs inputs, Func<GatewayOptions, ISecretResolver> resolverFactory, CancellationToken cancellationToken = default)
    {
        var config = ConfigurationLoader.Load(inputs);
        Backends.BackendDefinitions.From(config.Options);
        if (config.Options.Storage.Provider == "memory" && !config.IsDevelopment)
        {
            throw new ConfigurationException([$"storage.provider: 'memory' is for Development only (environment is '{config.EnvironmentName}'): state would not survive a restart or reach a second instance"]);
        }
        var resolver = resolverFactory(config.Options);
        var errors = new List<string>();
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
        return new GatewayStartup(inputs, config) { TokenKeys = tokenKeys ?? TokenKeyRing.Ephemeral() };
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
