using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace MasterMcp.Configuration;

/// <summary>config/schema.json: validates a merged document and tells which JSON types a path accepts (to type environment values).</summary>
public sealed partial class ConfigSchema
{
    private readonly JsonSchema _schema;
    private readonly JsonObject _raw;
    private List<string>? _paths;

    private ConfigSchema(JsonSchema schema, JsonObject raw)
    {
        _schema = schema;
        _raw = raw;
    }

    /// <summary>Reads config/schema.json from the application's base directory.</summary>
    public static ConfigSchema Load(string baseDirectory)
    {
        var path = Path.Combine(baseDirectory, "config", "schema.json");
        if (!File.Exists(path))
        {
            throw new ConfigurationException([$"schema file '{path}' is missing (the build copies config/ next to the application)"]);
        }
        var text = File.ReadAllText(path);
        // A registry per load: the global one refuses a second schema with the same $id, which made every reload
        // (and any second load in one process) fail with JsonSchemaException.
        var schema = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        return new ConfigSchema(schema, (JsonObject)JsonNode.Parse(text)!);
    }

    /// <summary>True when <paramref name="name"/> is a top-level property of the schema.</summary>
    public bool IsTopLevelSection(string name) => _raw["properties"] is JsonObject props && props.ContainsKey(name) && name != "$schema";

    /// <summary>
    /// Every schema violation as (JSON pointer, message). A key the schema does not allow is reported as an unknown key with
    /// the nearest valid one (see <see cref="UnknownKeys"/>) instead of the validator's "All values fail against the false schema".
    /// </summary>
    public IEnumerable<(string Path, string Message)> Validate(JsonObject document)
    {
        var unknown = UnknownKeys(document).ToList();
        foreach (var error in unknown)
        {
            yield return error;
        }
        using var json = JsonDocument.Parse(document.ToJsonString());
        var results = _schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (results.IsValid)
        {
            yield break;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is null)
            {
                continue;
            }
            foreach (var (keyword, message) in detail.Errors)
            {
                var path = detail.InstanceLocation.ToString();
                if (!unknown.Any(u => path == u.Path || path.StartsWith(u.Path + "/", StringComparison.Ordinal)) && seen.Add(path + "\n" + message))
                {
                    yield return (path, keyword == "enum" && AllowedValues(detail.SchemaLocation) is { } allowed ? $"{message}: {allowed}" : message);
                }
            }
        }
    }

    /// <summary>The values an enum allows, as "one of "a", "b"", from the subschema at <paramref name="schemaLocation"/>'s fragment (the validator's message lists none).</summary>
    private string? AllowedValues(Uri schemaLocation)
    {
        JsonNode? node = _raw;
        foreach (var segment in Uri.UnescapeDataString(schemaLocation.Fragment.TrimStart('#')).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonArray array && int.TryParse(segment, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count
                ? array[index]
                : node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }
        return node?["enum"] is JsonArray values ? "one of " + string.Join(", ", values.Select(v => v?.ToJsonString())) : null;
    }

    /// <summary>
    /// Keys in objects whose schema forbids other keys, as (JSON pointer, "unknown key; did you mean …?"). The suggestion comes
    /// from the schema: a sibling key a few edits away, else the same key name deeper in this object (auth.issuer →
    /// auth.jwt.issuer), else the same key name anywhere (port → hosting.port), else the list of valid keys.
    /// </summary>
    public IEnumerable<(string Path, string Message)> UnknownKeys(JsonObject document)
    {
        var found = new List<(string, string)>();
        FindUnknownKeys(document, _raw, "", "", found);
        return found;
    }

    private void FindUnknownKeys(JsonNode? node, JsonNode? schemaNode, string pointer, string dotted, List<(string, string)> found)
    {
        var schema = Resolve(schemaNode);
        if (schema is not JsonObject)
        {
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                foreach (var (key, child) in obj)
                {
                    var childPointer = pointer + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                    var childDotted = dotted.Length == 0 ? key : dotted + "." + key;
                    if (properties?[key] is { } property)
                    {
                        FindUnknownKeys(child, property, childPointer, childDotted, found);
                    }
                    else if (schema["additionalProperties"] is JsonObject additional)
                    {
                        FindUnknownKeys(child, additional, childPointer, childDotted, found);
                    }
                    else if (schema["additionalProperties"] is JsonValue allowed && !allowed.GetValue<bool>() && key != "$schema")
                    {
                        found.Add((childPointer, "unknown key; " + Suggest(key, properties, dotted)));
                    }
                }
                break;
            case JsonArray array when schema["items"] is { } items:
                for (var i = 0; i < array.Count; i++)
                {
                    FindUnknownKeys(array[i], items, pointer + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), dotted + "[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]", found);
                }
                break;
        }
    }

    private string Suggest(string key, JsonObject? siblings, string parentDotted)
    {
        var names = siblings?.Select(p => p.Key).Where(k => k != "$schema").ToList() ?? [];
        var near = names
            .Select(name => (Name: name, Distance: EditDistance(key.ToLowerInvariant(), name.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, key.Length / 3) && c.Distance < key.Length)
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
        if (near is not null)
        {
            return $"did you mean {near}?";
        }

        // The schema's paths use [] for array items; the parent's own indexes are put back so the suggestion reads as a path here.
        var schemaParent = ArrayIndex().Replace(parentDotted, "[]");
        var elsewhere = SchemaPaths()
            .Where(p => p.EndsWith("." + key, StringComparison.Ordinal) || p == key)
            .ToList();
        var below = elsewhere.Where(p => schemaParent.Length == 0 || p.StartsWith(schemaParent + ".", StringComparison.Ordinal)).ToList();
        var candidates = below.Count > 0 ? below : elsewhere;
        if (candidates.Count > 0)
        {
            var shown = candidates.Select(p => below.Count > 0 && schemaParent.Length > 0 ? parentDotted + p[schemaParent.Length..] : p);
            return $"did you mean {string.Join(" or ", shown)}?";
        }
        return names.Count == 0 ? "this object takes no keys" : $"valid keys here: {string.Join(", ", names)}";
    }

    /// <summary>Every property path the schema defines, dotted, with [] for array items (servers[].command), in schema order.</summary>
    private List<string> SchemaPaths()
    {
        if (_paths is null)
        {
            var paths = new List<string>();
            CollectPaths(_raw, "", paths, depth: 0);
            _paths = paths;
        }
        return _paths;
    }

    private void CollectPaths(JsonNode? schemaNode, string dotted, List<string> paths, int depth)
    {
        var schema = Resolve(schemaNode);
        if (depth > 16 || schema is not JsonObject)
        {
            return;
        }
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (key, property) in properties)
            {
                if (key == "$schema")
                {
                    continue;
                }
                var path = dotted.Length == 0 ? key : dotted + "." + key;
                paths.Add(path);
                CollectPaths(property, path, paths, depth + 1);
            }
        }
        if (schema["items"] is { } items)
        {
            CollectPaths(items, dotted + "[]", paths, depth + 1);
        }
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>The JSON types the schema allows at a dotted path (empty when unknown).</summary>
    public IReadOnlySet<string> TypesAt(string dottedPath)
    {
        JsonNode? node = _raw;
        foreach (var segment in dottedPath.Split('.'))
        {
            node = Resolve(node);
            if (node?["properties"]?[segment] is { } prop)
            {
                node = prop;
            }
            else if (node?["additionalProperties"] is JsonObject additional)
            {
                node = additional;
            }
            else
            {
                return new HashSet<string>();
            }
        }
        node = Resolve(node);
        var types = new HashSet<string>(StringComparer.Ordinal);
        switch (node?["type"])
        {
            case JsonValue single:
                types.Add(single.GetValue<string>());
                break;
            case JsonArray many:
                foreach (var t in many)
                {
                    types.Add(t!.GetValue<string>());
                }
                break;
        }
        if (types.Count == 0 && node?["items"] is not null)
        {
            types.Add("array");
        }
        return types;
    }

    private JsonNode? Resolve(JsonNode? node)
    {
        if (node?["$ref"] is JsonValue reference && reference.GetValue<string>() is { } r && r.StartsWith("#/", StringComparison.Ordinal))
        {
            JsonNode? target = _raw;
            foreach (var part in r[2..].Split('/'))
            {
                target = target?[part];
            }
            return target;
        }
        return node;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]")]
    private static partial System.Text.RegularExpressions.Regex ArrayIndex();
}
