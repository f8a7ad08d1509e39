using System.Text.Json.Nodes;

namespace MasterMcp.Deploy.Tests.Infrastructure;

/// <summary>A compiled ARM template with its nested module deployments.</summary>
public sealed class CompiledTemplate(JsonNode root)
{
    public JsonNode Root { get; } = root;

    /// <summary>Every resource, the ones inside module deployments included.</summary>
    public IEnumerable<JsonNode> Resources() => Walk(Root);

    /// <summary>The module deployment with the given name.</summary>
    public JsonNode Module(string name) =>
        Resources().SingleOrDefault(r => (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == name)
        ?? throw new Xunit.Sdk.XunitException($"No module deployment named '{name}' in the compiled template.");

    private static IEnumerable<JsonNode> Walk(JsonNode template)
    {
        var resources = template["resources"];
        // languageVersion 2.0 templates use an object keyed by symbolic name; classic ones an array.
        IEnumerable<JsonNode?> items = resources switch
        {
            JsonArray array => array,
            JsonObject obj => obj.Select(p => p.Value),
            _ => [],
        };
        foreach (var resource in items.OfType<JsonNode>())
        {
            yield return resource;
            var nested = resource["properties"]?["template"];
            if (nested is not null)
            {
                foreach (var inner in Walk(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}
