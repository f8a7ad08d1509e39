using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// A small MCP server used as a gateway backend in tests and in the README demo.
//   --urls http://127.0.0.1:0   Streamable HTTP at /mcp (prints "LISTENING <url>")
//   --legacy-sse                also serve the legacy HTTP+SSE transport at /sse (stateful)
//   --stdio                     serve over stdio instead of HTTP
//   --name <name>               server name, echoed in every tool result (default "sample")
//   --long-names                add two tools with 100-character names that share their first 64 characters
//   --trace-context             add the "trace_context" tool: the traceparent the call carried in params._meta and (HTTP)
//                               in the header of its POST
//   --require-token <issuer>    require a bearer JWT from that issuer (signature via its JWKS, issuer, lifetime, and
//                               --audience <aud> when given); 401 with WWW-Authenticate + protected resource metadata
//                               otherwise; the "whoami" tool echoes the token's sub (and act/exchanged claims)
var name = ArgValue(args, "--name") ?? "sample";
var stdio = args.Contains("--stdio");
var legacySse = args.Contains("--legacy-sse");
var longNames = args.Contains("--long-names");
var traceContext = args.Contains("--trace-context");
var requiredIssuer = ArgValue(args, "--require-token");
var audience = ArgValue(args, "--audience");

if (stdio)
{
    var host = Host.CreateApplicationBuilder();
    host.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    Configure(host.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = name, Version = "1.0.0" }).WithStdioServerTransport());
    await host.Build().RunAsync();
    return;
}

// Our own flags are not handed to ASP.NET: its command-line parser would pair "--legacy-sse" with the next argument.
var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls(ArgValue(args, "--urls") ?? "http://127.0.0.1:0");
Configure(builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = name, Version = "1.0.0" })
    .WithHttpTransport(o =>
    {
        o.SessionMode = legacySse ? ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful : ModelContextProtocol.AspNetCore.HttpServerSessionMode.StatefulForInitializeClients;
#pragma warning disable MCP9004 // Legacy SSE is exactly what this backend exists to serve.
        o.EnableLegacySse = legacySse;
#pragma warning restore MCP9004
    }));
builder.Services.AddHttpContextAccessor();
var app = builder.Build();
if (requiredIssuer is not null)
{
    var validator = new SampleServer.BearerValidator(requiredIssuer, audience);
    app.MapGet("/.well-known/oauth-protected-resource/mcp", (HttpContext c) => Results.Json(validator.Metadata(c)));
    app.MapGet("/.well-known/oauth-protected-resource", (HttpContext c) => Results.Json(validator.Metadata(c)));
    app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments("/mcp") && !await validator.AuthenticateAsync(context))
        {
            return;
        }
        await next();
    });
}
if (traceContext)
{
    app.Use(async (context, next) =>
    {
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/mcp"))
        {
            TraceTools.LastPostTraceparent = context.Request.Headers["traceparent"].ToString();
        }
        await next();
    });
}
app.MapMcp("/mcp");
app.MapGet("/health", () => Results.Ok(new { ok = true }));
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine("LISTENING " + app.Urls.First().Replace("://localhost:", "://127.0.0.1:", StringComparison.Ordinal)));
await app.RunAsync();

void Configure(IMcpServerBuilder mcp)
{
    mcp.WithTools<SampleTools>()
        .WithTools<FidelityTools>()
        .WithResources<SampleResources>()
        .WithPrompts<SamplePrompts>()
        .WithCompleteHandler((context, _) =>
        {
            var value = context.Params?.Argument.Value ?? "";
            string[] names = ["alice", "albert", "bob", "carol"];
            return ValueTask.FromResult(new CompleteResult
            {
                Completion = new Completion { Values = [.. names.Where(n => n.StartsWith(value, StringComparison.Ordinal)).Select(n => $"{n}@{name}")] },
            });
        });
    if (longNames)
    {
        mcp.WithTools<LongNameTools>();
    }
    if (requiredIssuer is not null)
    {
        mcp.WithTools<IdentityTools>();
    }
    if (traceContext)
    {
        mcp.WithTools<TraceTools>();
    }
    mcp.Services.AddSingleton(new ServerName(name));
}

static string? ArgValue(string[] args, string key)
{
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == key && i + 1 < args.Length)
        {
            return args[i + 1];
        }
        if (args[i].StartsWith(key + "=", StringComparison.Ordinal))
        {
            return args[i][(key.Length + 1)..];
        }
    }
    return null;
}

/// <summary>The configured server name, echoed in results so tests see which backend answered.</summary>
public sealed record ServerName(string Value);

[McpServerToolType]
public sealed class SampleTools
{
    [McpServerTool(Name = "echo"), Description("Echoes the text, prefixed with the server name and the tool name it was called by.")]
    public static string Echo(ServerName server, [Description("Text to echo")] string text) => $"{server.Value}/echo: {text}";

    [McpServerTool(Name = "add"), Description("Adds two integers.")]
    public static int Add(int a, int b) => a + b;

    [McpServerTool(Name = "slow"), Description("Waits the given milliseconds, then answers.")]
    public static async Task<string> Slow(ServerName server, int ms, CancellationToken cancellationToken)
    {
        await Task.Delay(ms, cancellationToken);
        return $"{server.Value}/slow: done after {ms} ms";
    }

    [McpServerTool(Name = "fail"), Description("Always returns a tool error result.")]
    public static CallToolResult Fail(ServerName server) => new() { IsError = true, Content = [new TextContentBlock { Text = $"{server.Value}/fail: this tool always fails" }] };

    [McpServerTool(Name = "protocol_error"), Description("Always answers with a JSON-RPC error carrying data.")]
    public static string ProtocolError() => throw new McpProtocolException("sample protocol error", (McpErrorCode)(-32001)) { Data = { ["detail"] = "kept" } };

    [McpServerTool(Name = "link"), Description("Returns a resource link to sample://info.")]
    public static CallToolResult Link() => new() { Content = [new ResourceLinkBlock { Uri = "sample://info", Name = "info" }] };
}

[McpServerToolType]
public sealed class LongNameTools
{
    public const string Stem = "a_very_long_tool_name_that_goes_on_and_on_to_exceed_sixty_four_c";

    [McpServerTool(Name = Stem + "haracters_first_variant_of_it_here__"), Description("First long-named tool.")]
    public static string First() => "long-first";

    [McpServerTool(Name = Stem + "haracters_second_variant_of_it_here_"), Description("Second long-named tool.")]
    public static string Second() => "long-second";
}

[McpServerResourceType]
public sealed class SampleResources
{
    [McpServerResource(UriTemplate = "sample://info", Name = "info", MimeType = "text/plain"), Description("Information about this server.")]
    public static string Info(ServerName server) => $"info from {server.Value}";

    [McpServerResource(UriTemplate = "sample://items/{id}", Name = "item", MimeType = "text/plain"), Description("One item by id.")]
    public static string Item(ServerName server, string id) => $"item {id} from {server.Value}";
}

[McpServerPromptType]
public sealed class SamplePrompts
{
    [McpServerPrompt(Name = "greeting"), Description("A greeting for someone.")]
    public static string Greeting(ServerName server, [Description("Who to greet")] string name) => $"Hello {name}, from {server.Value}";
}

[McpServerToolType]
public sealed class IdentityTools
{
    [McpServerTool(Name = "whoami"), Description("Says whose token the request carried.")]
    public static string WhoAmI(ServerName server, IHttpContextAccessor http)
    {
        var user = http.HttpContext?.User;
        return $"{server.Value}/whoami: sub={user?.FindFirst("sub")?.Value} exchanged={user?.FindFirst("exchanged")?.Value ?? "false"} act={user?.FindFirst("act")?.Value ?? "-"}";
    }
}

/// <summary>What a call carried of the caller's trace (W3C trace context, SEP-414 <c>params._meta.traceparent</c>).</summary>
[McpServerToolType]
public sealed class TraceTools
{
    /// <summary>The traceparent header of the latest POST to /mcp (the call's own POST while the tool runs: tests call one at a time).</summary>
    public static volatile string? LastPostTraceparent;

    [McpServerTool(Name = "trace_context"), Description("The traceparent this call carried in params._meta, and in the HTTP header of its POST (HTTP only).")]
    public static string TraceContext(RequestContext<CallToolRequestParams> context) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["meta"] = context.Params?.Meta?["traceparent"]?.ToString(),
            ["header"] = LastPostTraceparent,
        });
}
