using System.Text.Json.Nodes;
using MasterMcp.Observability;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace MasterMcp.Tests.Observability;

/// <summary>With OTEL_EXPORTER_OTLP_ENDPOINT set, the gateway's spans reach an OTLP/HTTP endpoint (a decoding stand-in).</summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private OtlpStandIn _collector = null!;
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _collector = await OtlpStandIn.StartAsync();
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        }, environment: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collector.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task ToolCall_Spans_ReachTheOtlpEndpoint_WithTheGatewaysAttributesAndInstance()
    {
        using var http = new HttpClient();
        var session = new RawMcpSession(http, _gateway.McpUrl, token: null);
        await session.InitializeAsync();
        var (traceId, traceparent) = TelemetryKit.NewClientTrace();
        await TelemetryKit.CallToolAsync(http, _gateway.McpUrl, session, "alpha__echo", new JsonObject { ["text"] = "otlp" }, traceparent);

        // The batch processor exports on a timer; a flush sends what it holds now (no waiting on the clock). The SDK ends
        // its server span just after the response has gone, so flush until both spans of the call have arrived.
        var provider = _gateway.Services.GetRequiredService<TracerProvider>();
        await Wait.Until(() =>
        {
            Assert.True(provider.ForceFlush(10_000));
            var kinds = _collector.Spans.Where(s => s.TraceId == traceId.ToHexString() && s.Scope == GatewayTelemetry.McpSourceName).Select(s => s.Kind).ToList();
            return kinds.Contains(2) && kinds.Contains(3);
        }, "the call's MCP server and client spans at the OTLP endpoint");

        var trace = _collector.Spans.Where(s => s.TraceId == traceId.ToHexString()).ToList();
        var server = Assert.Single(trace, s => s.Scope == GatewayTelemetry.McpSourceName && s.Kind == 2);
        var client = Assert.Single(trace, s => s.Scope == GatewayTelemetry.McpSourceName && s.Kind == 3 && s.Name.StartsWith("tools/call", StringComparison.Ordinal));
        Assert.Equal("tools/call alpha__echo", server.Name);
        Assert.Equal("alpha", server.Attributes[GatewayTelemetry.BackendIdAttribute]);
        Assert.Equal("echo", client.Attributes[GatewayTelemetry.OriginalNameAttribute]);
        Assert.Equal(_gateway.Services.GetRequiredService<InstanceIdentity>().Id, server.Resource["service.instance.id"]);
        Assert.Equal("master-mcp", server.Resource["service.name"]);
    }
}
