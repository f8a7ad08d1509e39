using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// The bench's backend and its "minimal C# SDK server" baseline: the MCP C# SDK over Streamable HTTP with one tool
// (echo) and one resource, nothing else (no logging providers beyond the default, no auth). The SDK 2.4.0 server has no
// JSON-response switch: answers to POSTs are SSE streams of one event. Stateless is the SDK's default session mode.
//   --urls http://127.0.0.1:PORT
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "bench-echo", Version = "1.0.0" })
    .WithHttpTransport()
    .WithTools<EchoTools>()
    .WithResources<EchoResources>();
var app = builder.Build();
app.MapMcp("/mcp");
await app.RunAsync();

/// <summary>The one tool: returns its text.</summary>
[McpServerToolType]
internal sealed class EchoTools
{
    [McpServerTool(Name = "echo"), Description("Returns the text it is given.")]
    public static string Echo([Description("Text to return.")] string text) => text;
}

/// <summary>The one resource: a short fixed text.</summary>
[McpServerResourceType]
internal sealed class EchoResources
{
    [McpServerResource(UriTemplate = "bench://hello", Name = "hello", MimeType = "text/plain"), Description("A fixed short text.")]
    public static string Hello() => "hello from the bench backend";
}
