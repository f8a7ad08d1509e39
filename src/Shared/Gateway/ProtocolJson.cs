using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;

namespace MasterMcp.Gateway;

/// <summary>Copies protocol objects through their JSON form, so every field (including ones added by newer revisions) survives a rename.</summary>
internal static class ProtocolJson
{
    public static JsonNode ToNode<T>(T value) =>
        JsonSerializer.SerializeToNode(value, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T))) ?? throw new InvalidOperationException("null protocol object");

    public static T FromNode<T>(JsonNode node) =>
        (T)(node.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T))) ?? throw new InvalidOperationException("null protocol object"));

    /// <summary>A copy of <paramref name="value"/> with one property replaced.</summary>
    public static T With<T>(T value, string property, string replacement)
    {
        var node = ToNode(value);
        node[property] = replacement;
        return FromNode<T>(node);
    }

    /// <summary>A copy of <paramref name="value"/> with every resource URI inside it rewritten for the client.</summary>
    public static T RewriteUris<T>(T value, string prefix)
    {
        if (prefix.Length == 0)
        {
            return value;
        }
        var node = ToNode(value);
        RewriteUris(node, prefix);
        return FromNode<T>(node);
    }

    /// <summary>Rewrites the URIs of resource links and embedded resources in place (tool results, prompt messages); leaves structured content alone.</summary>
    public static void RewriteUris(JsonNode? node, string prefix)
    {
        switch (node)
        {
            case JsonObject obj:
                var type = obj["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
                if (type == "resource_link" && obj["uri"] is JsonValue linkUri)
                {
                    obj["uri"] = ResourceUris.ToPublic(prefix, linkUri.GetValue<string>());
                }
                else if (type == "resource" && obj["resource"] is JsonObject embedded && embedded["uri"] is JsonValue embeddedUri)
                {
                    embedded["uri"] = ResourceUris.ToPublic(prefix, embeddedUri.GetValue<string>());
                }
                foreach (var (key, child) in obj.ToList())
                {
                    if (key is not ("structuredContent" or "_meta" or "inputSchema" or "outputSchema"))
                    {
                        RewriteUris(child, prefix);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RewriteUris(item, prefix);
                }
                break;
        }
    }
}
