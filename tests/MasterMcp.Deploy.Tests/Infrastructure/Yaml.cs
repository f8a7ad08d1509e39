using YamlDotNet.RepresentationModel;

namespace MasterMcp.Deploy.Tests.Infrastructure;

/// <summary>Reads a YAML file of the repository as a node tree (docker-compose.yml, the workflows).</summary>
public static class Yaml
{
    public static YamlMappingNode Load(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(Repo.ReadText(relative));
        stream.Load(reader);
        return Assert.IsType<YamlMappingNode>(stream.Documents.Single().RootNode);
    }

    public static YamlNode? Get(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static YamlMappingNode Map(this YamlNode node, string key) =>
        Assert.IsType<YamlMappingNode>(node.Get(key) ?? throw new Xunit.Sdk.XunitException($"'{key}' is missing"));

    public static string? Scalar(this YamlNode node, string key) => (node.Get(key) as YamlScalarNode)?.Value;

    public static IEnumerable<string> Keys(this YamlMappingNode map) => map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!);
}
