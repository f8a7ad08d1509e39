using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace MasterMcp.Configuration;

/// <summary>config/schema.json: validates a merged document and tells which JSON types a path accepts (to type environment values).</summary>
public sealed class ConfigSchema
{
    private readonly JsonSchema _schema;
    private readonly JsonObject _raw;

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

    /// <summary>Every schema violation as (JSON pointer, message).</summary>
    public IEnumerable<(string Path, string Message)> Validate(JsonObject document)
    {
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
            foreach (var (_, message) in detail.Errors)
            {
                var path = detail.InstanceLocation.ToString();
                if (seen.Add(path + "\n" + message))
                {
                    yield return (path, message);
                }
            }
        }
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
}
