using System.Globalization;
using System.Text.Json.Nodes;

namespace Perf;

/// <summary>The three measured requests of one target: tools/call of its echo tool, tools/list, resources/read of its one resource.</summary>
internal sealed class Requests
{
    public static readonly IReadOnlyList<string> Methods = ["tools/call", "tools/list", "resources/read"];

    private readonly string _tool;
    private readonly string _resource;

    private Requests(string tool, string resource) => (_tool, _resource) = (tool, resource);

    /// <summary>Reads the target's resource URI (the gateway rewrites it) from resources/list.</summary>
    public static async Task<Requests> DiscoverAsync(McpTarget target, string tool)
    {
        var session = await target.InitializeAsync();
        var list = McpTarget.Message(await target.CallAsync(session, """{"jsonrpc":"2.0","id":1,"method":"resources/list"}"""));
        var uri = list["result"]?["resources"]?.AsArray().Select(r => r?["uri"]?.GetValue<string>()).FirstOrDefault(u => u is not null)
            ?? throw new InvalidOperationException($"{target.Label}: resources/list has no resource: {list.ToJsonString()}");
        return new Requests(tool, uri);
    }

    /// <summary>The body maker of one method (the JSON-RPC id varies per request).</summary>
    public Func<long, string> Body(string method) => method switch
    {
        "tools/call" => Tool(_tool),
        "tools/list" => id => string.Create(CultureInfo.InvariantCulture, $$"""{"jsonrpc":"2.0","id":{{id}},"method":"tools/list"}"""),
        "resources/read" => Read(_resource),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown method"),
    };

    /// <summary>tools/call of <paramref name="tool"/> with a short text.</summary>
    public static Func<long, string> Tool(string tool)
    {
        var name = JsonValue.Create(tool).ToJsonString();
        var tail = ""","method":"tools/call","params":{"name":""" + name + ""","arguments":{"text":"load"}}}""";
        return id => """{"jsonrpc":"2.0","id":""" + id.ToString(CultureInfo.InvariantCulture) + tail;
    }

    private static Func<long, string> Read(string uri)
    {
        var quoted = JsonValue.Create(uri).ToJsonString();
        var tail = ""","method":"resources/read","params":{"uri":""" + quoted + "}}";
        return id => """{"jsonrpc":"2.0","id":""" + id.ToString(CultureInfo.InvariantCulture) + tail;
    }
}
