using System.Diagnostics.Metrics;
using MasterMcp.Backends;
using Microsoft.Extensions.Hosting;

namespace MasterMcp.Observability;

/// <summary>The gateway's gauges over its live state (sessions, backend states, backend requests in flight), one set per gateway.</summary>
public sealed class GatewayMetricsObserver
{
    /// <summary>Registers the observable instruments on a meter owned by the container (disposed with it).</summary>
    public GatewayMetricsObserver(IMeterFactory meters, DownstreamSessions sessions, BackendRegistry registry, BackendRequestTracker tracker, MrtrBridge bridge)
    {
        var meter = meters.Create(GatewayTelemetry.MeterName);
        meter.CreateObservableUpDownCounter("master_mcp.sessions.active", () => (long)sessions.Count, "{session}", "Client sessions this instance holds.");
        meter.CreateObservableUpDownCounter("master_mcp.backend.requests.active", () => tracker.Pending, "{request}", "Requests sent to backends and not yet answered.");
        meter.CreateObservableUpDownCounter("master_mcp.mrtr.pending", () => (long)bridge.PendingCount, "{call}", "Backend calls of 2026-07-28 clients waiting for the client's next round.");
        meter.CreateObservableGauge("master_mcp.backend.up", () => registry.Definitions.Select(d => new Measurement<int>(
            registry.SharedState(d.Id) == BackendState.Connected ? 1 : 0,
            new KeyValuePair<string, object?>(GatewayTelemetry.BackendIdAttribute, d.Id),
            new KeyValuePair<string, object?>("master_mcp.backend.required", d.Required))), unit: null, "1 while the backend's shared session is connected, else 0.");
    }

    /// <summary>Creates the observer when the host starts.</summary>
    internal sealed class Starter(GatewayMetricsObserver observer) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(observer);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
