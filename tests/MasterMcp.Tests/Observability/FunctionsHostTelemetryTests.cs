using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Functions;
using MasterMcp.Hosting;
using MasterMcp.Observability;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace MasterMcp.Tests.Observability;

/// <summary>
/// What can be checked of the Functions host without it: host.json hands telemetry to OpenTelemetry, the worker logs the
/// same JSON lines (with the trace id) as Kestrel, and the function adapter's path yields the gateway's spans with the
/// client's trace. The real host (its gRPC channel, its spans, Application Insights) cannot run here.
/// </summary>
public sealed class FunctionsHostTelemetryTests : IAsyncLifetime
{
    private readonly List<Activity> _spans = [];
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        }, configureServices: services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans)));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public void HostJson_HandsTelemetryToOpenTelemetry()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!;
        Assert.Equal("OpenTelemetry", host["telemetryMode"]?.GetValue<string>());
    }

    [Fact]
    public void WorkerAndKestrel_LogTheSameJsonShape_WithTheTraceId()
    {
        var kestrel = LogOneLine(logging => GatewayLogging.ConfigureConsole(logging, new LoggingOptions()));
        var worker = LogOneLine(logging => GatewayLogging.ConfigureFunctionsWorker(logging, new LoggingOptions()));

        foreach (var (line, traceId) in new[] { kestrel, worker })
        {
            var entry = JsonNode.Parse(line)!.AsObject();
            Assert.Equal("Information", entry["LogLevel"]!.GetValue<string>());
            var scopes = entry["Scopes"]!.AsArray().OfType<JsonObject>().ToList();
            Assert.Contains(scopes, s => s["TraceId"]?.GetValue<string>() == traceId);
            Assert.Contains(scopes, s => s["CorrelationId"]?.GetValue<string>() == "corr-1" && s["Route"]?.GetValue<string>() == "mcp");
        }
        Assert.Equal(Shape(kestrel.Line), Shape(worker.Line));
    }

    [Fact]
    public async Task ToolCall_ThroughTheFunctionAdapter_YieldsTheGatewaysSpans_InTheClientsTrace()
    {
        var functions = new HttpFunctions(_gateway.Services.GetRequiredService<GatewayPipeline>());
        var init = await InvokeAsync(functions, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fn","version":"1"}}}""", null, null);
        var sessionId = init.Headers["Mcp-Session-Id"].ToString();
        await InvokeAsync(functions, """{"jsonrpc":"2.0","method":"notifications/initialized"}""", sessionId, null);
        await InvokeAsync(functions, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"alpha__echo","arguments":{"text":"warm"}}}""", sessionId, null);
        var (traceId, traceparent) = TelemetryKit.NewClientTrace();

        var call = await InvokeAsync(functions, """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"alpha__echo","arguments":{"text":"fn"}}}""", sessionId, traceparent);
        Assert.Equal(200, call.Status);

        List<Activity> trace = [];
        await RelayScenarios.Eventually(() =>
        {
            lock (_spans)
            {
                trace = [.. _spans.Where(s => s.TraceId == traceId)];
            }
            return trace.Any(s => s.Source.Name == GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Client)
                && trace.Any(s => s.Source.Name == GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Server);
        }, () => string.Join("; ", _spans.Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName} {s.TraceId}")));
        // No host span here: the pipeline's own span stands for the HTTP request (under the Functions host the worker's
        // invocation span is current and the pipeline starts none).
        var http = Assert.Single(trace, s => s.Source.Name == GatewayTelemetry.ActivitySourceName);
        Assert.Equal("HTTP mcp", http.DisplayName);
        var server = Assert.Single(trace, s => s.Source.Name == GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Server);
        var client = Assert.Single(trace, s => s.Source.Name == GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Client);
        Assert.Equal("alpha", server.GetTagItem(GatewayTelemetry.BackendIdAttribute));
        Assert.Equal("alpha__echo", client.GetTagItem(GatewayTelemetry.PublicNameAttribute));
        Assert.Equal(server.SpanId, client.ParentSpanId);
    }

    private async Task<(int Status, IHeaderDictionary Headers)> InvokeAsync(HttpFunctions functions, string json, string? sessionId, string? traceparent)
    {
        await using var scope = _gateway.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(_gateway.BaseUrl.Authority);
        context.Request.Path = "/mcp";
        context.Request.Headers.Accept = "application/json, text/event-stream";
        context.Request.ContentType = "application/json";
        if (sessionId is not null)
        {
            context.Request.Headers["Mcp-Session-Id"] = sessionId;
            context.Request.Headers["MCP-Protocol-Version"] = "2025-11-25";
        }
        if (traceparent is not null)
        {
            context.Request.Headers["traceparent"] = traceparent;
        }
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        context.Response.Body = new MemoryStream();
        await functions.Mcp(context.Request);
        return (context.Response.StatusCode, context.Response.Headers);
    }

    // Logs one line inside an activity and the pipeline's request scope through a logging setup; returns it and the trace id.
    private static (string Line, string TraceId) LogOneLine(Action<ILoggingBuilder> configure)
    {
        var original = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        string traceId;
        try
        {
            var services = new ServiceCollection();
            services.AddLogging(configure);
            using (var provider = services.BuildServiceProvider())
            {
                var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("MasterMcp.Test");
                using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
                traceId = activity.TraceId.ToHexString();
                using (logger.BeginScope(new RequestLogScope("corr-1", "mcp")))
                {
                    logger.LogInformation("one line {Value}", 42);
                }
            }
        }
        finally
        {
            Console.SetOut(original);
        }
        var line = output.ToString().Split('\n').Single(l => l.Contains("one line", StringComparison.Ordinal));
        return (line, traceId);
    }

    private static string Shape(string line) =>
        string.Join(",", JsonNode.Parse(line)!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
}
