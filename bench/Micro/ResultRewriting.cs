using System.Reflection;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using MasterMcp.Gateway;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Micro;

/// <summary>
/// Result rewriting: the gateway's own <c>ProtocolJson</c> (internal, reached through a delegate made once) copies a
/// tools/call result through JSON to rewrite resource URIs; resources/read results always take the JSON round trip
/// (GatewayHandlers.ReadResourceAsync). Beside it, what the SDK itself pays to serialize the same result once.
/// </summary>
[MemoryDiagnoser]
public class ResultRewriting
{
    private static readonly Type ProtocolJson = typeof(PublicNames).Assembly.GetType("MasterMcp.Gateway.ProtocolJson", throwOnError: true)!;

    private readonly Func<CallToolResult, string, CallToolResult> _rewriteCall = Generic<Func<CallToolResult, string, CallToolResult>>("RewriteUris", typeof(CallToolResult), [typeof(CallToolResult), typeof(string)]);
    private readonly Func<ReadResourceResult, System.Text.Json.Nodes.JsonNode> _toNode = Generic<Func<ReadResourceResult, System.Text.Json.Nodes.JsonNode>>("ToNode", typeof(ReadResourceResult), [typeof(ReadResourceResult)]);
    private readonly Func<System.Text.Json.Nodes.JsonNode, ReadResourceResult> _fromNode = Generic<Func<System.Text.Json.Nodes.JsonNode, ReadResourceResult>>("FromNode", typeof(ReadResourceResult), [typeof(System.Text.Json.Nodes.JsonNode)]);

    private readonly CallToolResult _textResult = new() { Content = [new TextContentBlock { Text = "load" }] };

    private readonly CallToolResult _linkResult = new()
    {
        Content = [new TextContentBlock { Text = "see the file" }, new ResourceLinkBlock { Uri = "file:///tmp/a.txt", Name = "a.txt" }],
    };

    private readonly ReadResourceResult _read = new() { Contents = [new TextResourceContents { Uri = "bench://hello", MimeType = "text/plain", Text = "hello from the bench backend" }] };

    /// <summary>What the SDK pays anyway: one serialization of the result to UTF-8 JSON.</summary>
    [Benchmark(Baseline = true)]
    public byte[] SerializeTextResult() => JsonSerializer.SerializeToUtf8Bytes(_textResult, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolResult)));

    /// <summary>tools/call with a resource link: the gateway's JSON round trip to rewrite the URI.</summary>
    [Benchmark]
    public CallToolResult RewriteToolResultWithLink() => _rewriteCall(_linkResult, "echo");

    /// <summary>resources/read: ToNode, rewrite contents[].uri, FromNode (as GatewayHandlers.ReadResourceAsync does on every read).</summary>
    [Benchmark]
    public ReadResourceResult RewriteReadResult()
    {
        var node = _toNode(_read);
        foreach (var item in node["contents"]!.AsArray())
        {
            item!["uri"] = ResourceUris.ToPublic("echo", item["uri"]!.GetValue<string>());
        }
        return _fromNode(node);
    }

    private static T Generic<T>(string name, Type argument, Type[] parameters) where T : Delegate =>
        ProtocolJson.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Single(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == parameters.Length
                && (parameters.Length < 2 || m.GetParameters()[1].ParameterType == typeof(string)))
            .MakeGenericMethod(argument)
            .CreateDelegate<T>();
}
