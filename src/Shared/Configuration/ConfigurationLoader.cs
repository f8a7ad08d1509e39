using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MasterMcp.Configuration;

/// <summary>
/// Builds the configuration from its layers, lowest first: <c>config/default.json</c>, <c>config/&lt;environment&gt;.json</c>,
/// the file from <c>--config</c> / <c>MASTER_CONFIG_PATH</c> (if any), environment variables, then dotted command-line arguments.
/// Every value remembers which layer set it, so validation errors can name the file or variable.
/// </summary>
public static class ConfigurationLoader
{
    /// <summary>Named environment variables and the setting each one sets, in increasing precedence.</summary>
    public static readonly IReadOnlyList<(string Variable, string Path)> NamedVariables =
    [
        ("PORT", "hosting.port"),
        ("BASE_URL", "hosting.base_url"),
        ("LOG_LEVEL", "logging.level"),
        ("LOG_FORMAT", "logging.format"),
        ("MASTER_HOSTING_PORT", "hosting.port"),
        ("MASTER_BASE_URL", "hosting.base_url"),
        ("MASTER_LOG_LEVEL", "logging.level"),
        ("MASTER_SERVERS", "servers"),
        ("TOKEN_ENC_KEY", "credentials.token_encryption_key"),
        ("MASTER_REDIS", "scaleout.redis"),
    ];

    private const string GenericPrefix = "MASTER__";

    /// <summary>The environment name: MASTER_ENV, else AZURE_FUNCTIONS_ENVIRONMENT, DOTNET_ENVIRONMENT, ASPNETCORE_ENVIRONMENT, else Production.</summary>
    public static string ResolveEnvironmentName(ConfigInputs inputs) =>
        inputs.Env("MASTER_ENV")
        ?? inputs.Env("AZURE_FUNCTIONS_ENVIRONMENT")
        ?? inputs.Env("DOTNET_ENVIRONMENT")
        ?? inputs.Env("ASPNETCORE_ENVIRONMENT")
        ?? "Production";

    /// <summary>Loads, merges and validates the configuration; throws <see cref="ConfigurationException"/> listing every problem.</summary>
    public static LoadedConfiguration Load(ConfigInputs inputs)
    {
        var environmentName = ResolveEnvironmentName(inputs);
        var schema = ConfigSchema.Load(inputs.BaseDirectory);
        var errors = new List<string>();
        var document = new JsonObject();
        var provenance = new Provenance();
        var files = new List<string>();

        foreach (var file in ConfigFiles(inputs, environmentName, errors))
        {
            files.Add(file);
            var relative = Path.GetRelativePath(inputs.BaseDirectory, file);
            var label = relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
            JsonNode? parsed;
            try
            {
                parsed = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException ex)
            {
                errors.Add($"{label}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message.Split('.')[0]}");
                continue;
            }
            catch (IOException ex)
            {
                errors.Add($"{label}: cannot be read: {ex.Message}");
                continue;
            }
            if (parsed is not JsonObject obj)
            {
                errors.Add($"{label}: the top level must be a JSON object");
                continue;
            }
            obj.Remove("$schema");
            Merge(document, obj, "", label, provenance);
        }

        foreach (var (variable, path) in NamedVariables)
        {
            if (inputs.Env(variable) is { } value)
            {
                Set(document, path, Coerce(value, schema.TypesAt(path)), $"environment variable {variable}", provenance);
            }
        }

        foreach (var (name, value) in inputs.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(GenericPrefix, StringComparison.OrdinalIgnoreCase) && value.Length > 0)
            {
                var path = string.Join('.', name[GenericPrefix.Length..].Split("__").Select(s => s.ToLowerInvariant()));
                Set(document, path, Coerce(value, schema.TypesAt(path)), $"environment variable {name}", provenance);
            }
        }

        foreach (var (path, value, arg) in DottedArguments(inputs.Args, schema))
        {
            Set(document, path, Coerce(value, schema.TypesAt(path)), $"command-line argument {arg}", provenance);
        }

        foreach (var (name, value) in inputs.Environment)
        {
            if (value.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"environment variable {name}: still holds an unresolved Key Vault reference (@Microsoft.KeyVault(...)); only App Service/Functions in Azure resolve those. In a container use a 'kv:<secret-name>' reference with secrets.key_vault_uri set");
            }
        }

        if (errors.Count == 0)
        {
            foreach (var error in schema.Validate(document))
            {
                errors.Add($"{provenance.SourceOf(error.Path)}: {DisplayPath(error.Path)}: {error.Message}");
            }
        }

        GatewayOptions? options = null;
        if (errors.Count == 0)
        {
            try
            {
                options = WithDefaults(document).Deserialize(ConfigurationJsonContext.Default.GatewayOptions) ?? new GatewayOptions();
            }
            catch (JsonException ex)
            {
                errors.Add($"{provenance.SourceOf(ex.Path ?? "")}: {ex.Path}: {ex.Message}");
            }
        }

        if (options is not null)
        {
            foreach (var (path, message) in GatewayOptionsValidator.Validate(options, environmentName))
            {
                errors.Add($"{provenance.SourceOf(path)}: {path}: {message}");
            }
        }

        if (errors.Count > 0 || options is null)
        {
            throw new ConfigurationException(errors);
        }

        return new LoadedConfiguration(environmentName, options, document, files);
    }

    /// <summary>
    /// The document laid over the options' own defaults. The source-generated deserializer sets init-only properties that
    /// are absent from the JSON to default(T) instead of keeping their initializers, so a file without a section (or a
    /// server without "enabled") would otherwise yield null sections, zero timeouts and disabled servers.
    /// </summary>
    private static JsonObject WithDefaults(JsonObject document)
    {
        var result = (JsonObject)JsonSerializer.SerializeToNode(new GatewayOptions(), ConfigurationJsonContext.Default.GatewayOptions)!;
        MergeValues(result, (JsonObject)document.DeepClone());
        if (result["servers"] is JsonArray servers)
        {
            for (var i = 0; i < servers.Count; i++)
            {
                if (servers[i] is JsonObject server)
                {
                    var withDefaults = (JsonObject)JsonSerializer.SerializeToNode(new ServerOptions { Id = "" }, ConfigurationJsonContext.Default.ServerOptions)!;
                    MergeValues(withDefaults, (JsonObject)server.DeepClone());
                    servers[i] = withDefaults;
                }
            }
        }
        return result;
    }

    private static void MergeValues(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source.ToList())
        {
            source.Remove(key);
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                MergeValues(existing, child);
            }
            else
            {
                target[key] = value;
            }
        }
    }

    /// <summary>
    /// config/default.json, config/&lt;environment&gt;.json when it exists, then the file from --config / MASTER_CONFIG_PATH.
    /// The explicit file layers over the other two (it does not replace them): a file holding only <c>servers</c> keeps
    /// the environment's hosting, logging and storage settings, so Development stays on loopback.
    /// </summary>
    private static IEnumerable<string> ConfigFiles(ConfigInputs inputs, string environmentName, List<string> errors)
    {
        var configDir = Path.Combine(inputs.BaseDirectory, "config");
        var defaults = Path.Combine(configDir, "default.json");
        if (!File.Exists(defaults))
        {
            errors.Add($"configuration file '{defaults}' is missing (the build copies config/ next to the application)");
            yield break;
        }
        yield return defaults;
        var envFile = Path.Combine(configDir, environmentName.ToLowerInvariant() + ".json");
        if (File.Exists(envFile))
        {
            yield return envFile;
        }

        var explicitPath = ExplicitConfigPath(inputs);
        if (explicitPath is not null)
        {
            var full = Path.GetFullPath(explicitPath, Directory.GetCurrentDirectory());
            if (!File.Exists(full))
            {
                errors.Add($"configuration file '{full}' (from --config or MASTER_CONFIG_PATH) does not exist");
                yield break;
            }
            yield return full;
        }
    }

    /// <summary>The file named by <c>--config path</c>, <c>--config=path</c> or MASTER_CONFIG_PATH, if any.</summary>
    public static string? ExplicitConfigPath(ConfigInputs inputs)
    {
        for (var i = 0; i < inputs.Args.Count; i++)
        {
            var arg = inputs.Args[i];
            if (arg == "--config" && i + 1 < inputs.Args.Count)
            {
                return inputs.Args[i + 1];
            }
            if (arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                return arg["--config=".Length..];
            }
        }
        return inputs.Env("MASTER_CONFIG_PATH");
    }

    private static IEnumerable<(string Path, string Value, string Arg)> DottedArguments(IReadOnlyList<string> args, ConfigSchema schema)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            var body = arg[2..];
            string key;
            string? value = null;
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                key = body[..eq];
                value = body[(eq + 1)..];
            }
            else
            {
                key = body;
            }
            // Only keys under a known top-level section are ours; the Functions host passes its own arguments too.
            if (!schema.IsTopLevelSection(key.Split('.')[0]) || (!key.Contains('.', StringComparison.Ordinal) && key is not ("servers" or "tool_exposure")))
            {
                continue;
            }
            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    continue;
                }
                value = args[++i];
            }
            yield return (key, value, "--" + key);
        }
    }

    private static JsonNode? Coerce(string raw, IReadOnlySet<string> types)
    {
        if (types.Contains("integer") && long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (types.Contains("number") && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }
        if (types.Contains("boolean") && bool.TryParse(raw, out var b))
        {
            return JsonValue.Create(b);
        }
        if (types.Contains("null") && raw == "null")
        {
            return null;
        }
        if (types.Contains("array") || types.Contains("object"))
        {
            try
            {
                return JsonNode.Parse(raw);
            }
            catch (JsonException)
            {
                // Left as a string: validation then reports the wrong type and names the variable.
            }
        }
        return JsonValue.Create(raw);
    }

    private static void Merge(JsonObject target, JsonObject layer, string basePath, string source, Provenance provenance)
    {
        foreach (var (key, value) in layer.ToList())
        {
            var path = basePath.Length == 0 ? key : basePath + "." + key;
            if (value is JsonObject layerObj && target[key] is JsonObject targetObj)
            {
                Merge(targetObj, layerObj, path, source, provenance);
                continue;
            }
            target[key] = value?.DeepClone();
            provenance.Record(path, source, value);
        }
    }

    private static void Set(JsonObject document, string path, JsonNode? value, string source, Provenance provenance)
    {
        var segments = path.Split('.');
        var current = document;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            if (current[segments[i]] is not JsonObject next)
            {
                next = new JsonObject();
                current[segments[i]] = next;
            }
            current = next;
        }
        current[segments[^1]] = value;
        provenance.Record(path, source, value);
    }

    /// <summary>Turns a JSON pointer such as /servers/1/url into servers[1].url.</summary>
    internal static string DisplayPath(string pointer)
    {
        var parts = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var result = new System.Text.StringBuilder();
        foreach (var raw in parts)
        {
            var part = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                result.Append('[').Append(part).Append(']');
            }
            else
            {
                if (result.Length > 0)
                {
                    result.Append('.');
                }
                result.Append(part);
            }
        }
        return result.Length == 0 ? "(root)" : result.ToString();
    }

    /// <summary>Remembers, for every path a layer set, which layer it was.</summary>
    private sealed class Provenance
    {
        private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal);

        public void Record(string path, string source, JsonNode? value)
        {
            foreach (var key in _sources.Keys.Where(k => k.StartsWith(path + ".", StringComparison.Ordinal) || k.StartsWith(path + "[", StringComparison.Ordinal)).ToList())
            {
                _sources.Remove(key);
            }
            _sources[path] = source;
            RecordChildren(path, source, value);
        }

        private void RecordChildren(string path, string source, JsonNode? value)
        {
            switch (value)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        var childPath = path + "." + key;
                        _sources[childPath] = source;
                        RecordChildren(childPath, source, child);
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        var childPath = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                        _sources[childPath] = source;
                        RecordChildren(childPath, source, array[i]);
                    }
                    break;
            }
        }

        /// <summary>The layer that set this path or its nearest ancestor. Accepts JSON pointers and dotted paths.</summary>
        public string SourceOf(string path)
        {
            var dotted = path.StartsWith('/') ? DisplayPath(path) : path.TrimStart('$', '.');
            while (dotted.Length > 0)
            {
                if (_sources.TryGetValue(dotted, out var source))
                {
                    return source;
                }
                var cut = Math.Max(dotted.LastIndexOf('.'), dotted.LastIndexOf('['));
                dotted = cut > 0 ? dotted[..cut] : "";
            }
            return "configuration";
        }
    }
}
