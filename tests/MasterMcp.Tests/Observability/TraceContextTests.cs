using System.Diagnostics;
using System.Text.Json.Nodes;
using MasterMcp.Observability;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MasterMcp.Tests.Observability;

/// <summary>
/// A client's trace crosses the gateway: the backend (HTTP and stdio) receives the client's trace id in params._meta
/// (and the HTTP one in the traceparent header), and the gateway's spans — the MCP SDK's own server span for the request
/// and client span for the backend call, nothing instrumented twice — carry the backend, public and original names.
/// </summary>
public sealed class TraceContextTests : IAsyncLifetime
{
    private const string AspNetCoreSource = "Microsoft.AspNetCore";
    private readonly List<Activity> _spans = [];
    private TestServerProcess _http = null!;
    private GatewayInstance _gateway = null!;
    private TracerProvider? _provider;

    public async Task InitializeAsync()
    {
        _http = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha", "--trace-context");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(
                new JsonObject { ["id"] = "alpha", ["url"] = _http.McpUrl.ToString() },
                new JsonObject { ["id"] = "beta", ["command"] = "dotnet", ["args"] = new JsonArray(TestServerProcess.AssemblyOf("SampleServer"), "--stdio", "--name", "beta", "--trace-context") }),
        }, configureServices: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans)));
        _provider = _gateway.Services.GetRequiredService<TracerProvider>();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _http.DisposeAsync();
    }

    [Theory]
    [InlineData("alpha", true)]
    [InlineData("beta", false)]
    public async Task ToolCall_CarriesTheClientsTrace_ToTheBackend_WithOneServerAndOneClientSpan(string backend, bool http)
    {
        using var client = new HttpClient();
        var session = new RawMcpSession(client, _gateway.McpUrl, token: null);
        await session.InitializeAsync();
        // The first call loads the catalog and opens this session's own backend session (server/discover, initialize):
        // make it untraced, so the traced call's trace holds only the call.
        await TelemetryKit.CallToolAsync(client, _gateway.McpUrl, session, backend + "__echo", new JsonObject { ["text"] = "warm" }, id: 3);
        var (traceId, traceparent) = TelemetryKit.NewClientTrace();

        var result = await TelemetryKit.CallToolAsync(client, _gateway.McpUrl, session, backend + "__trace_context", new JsonObject(), traceparent);

        // What the backend received.
        var seen = JsonNode.Parse(result["content"]![0]!["text"]!.GetValue<string>())!;
        var meta = seen["meta"]?.GetValue<string>();
        Assert.NotNull(meta);
        Assert.Equal(traceId.ToHexString(), TelemetryKit.TraceIdOf(meta));
        Assert.NotEqual(traceparent, meta); // the gateway's own client span is the backend's parent, not the client's span
        if (http)
        {
            var header = seen["header"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(header), "the HTTP backend's POST carried no traceparent header");
            Assert.Equal(traceId.ToHexString(), TelemetryKit.TraceIdOf(header!));
        }

        // What the gateway exported, in that trace: exactly one MCP server span (the request) and one MCP client span
        // (the backend call), plus ASP.NET Core's HTTP span of the POST; the SDK instruments MCP, the gateway does not do it again.
        List<Activity> trace = [];
        await RelayScenarios.Eventually(() =>
        {
            lock (_spans)
            {
                trace = [.. _spans.Where(s => s.TraceId == traceId)];
            }
            return trace.Count(s => s.Source.Name == GatewayTelemetry.McpSourceName) >= 2 && trace.Any(s => s.Source.Name == AspNetCoreSource);
        }, () => "spans: " + string.Join("; ", _spans.Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName} id={s.SpanId} parent={s.ParentSpanId} trace={s.TraceId.ToHexString()[..6]}")));
        var mcp = trace.Where(s => s.Source.Name == GatewayTelemetry.McpSourceName).ToList();
        var server = Assert.Single(mcp, s => s.Kind == ActivityKind.Server);
        var call = Assert.Single(mcp, s => s.Kind == ActivityKind.Client);
        Assert.Equal(2, mcp.Count);
        var transport = Assert.Single(trace, s => s.Source.Name == AspNetCoreSource);
        Assert.Equal(ActivityKind.Server, transport.Kind);
        Assert.Equal(3, trace.Count);

        Assert.Equal("tools/call", server.GetTagItem("mcp.method.name"));
        Assert.Equal(backend + "__trace_context", server.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(server.SpanId, call.ParentSpanId);
        Assert.Equal(TelemetryKit.TraceIdOf(traceparent), server.TraceId.ToHexString());
        Assert.Equal("trace_context", call.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(meta.Split('-')[2], call.SpanId.ToHexString());
        foreach (var span in new[] { server, call })
        {
            Assert.Equal(backend, span.GetTagItem(GatewayTelemetry.BackendIdAttribute));
            Assert.Equal(backend + "__trace_context", span.GetTagItem(GatewayTelemetry.PublicNameAttribute));
            Assert.Equal("trace_context", span.GetTagItem(GatewayTelemetry.OriginalNameAttribute));
        }
        var resource = _provider!.GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(_gateway.Services.GetRequiredService<InstanceIdentity>().Id, resource["service.instance.id"]);
        Assert.Equal("master-mcp", resource["service.name"]);
    }
}
