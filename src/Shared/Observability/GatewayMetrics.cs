using System.Diagnostics;
using System.Diagnostics.Metrics;
using MasterMcp.Hosting;

namespace MasterMcp.Observability;

/// <summary>
/// The gateway's own instruments (Meter <c>MasterMcp.Gateway</c>): what only the gateway knows, next to the MCP SDK's
/// <c>mcp.*</c> metrics. Counters and histograms live on one process-wide meter, as the SDK's do, so any class can record
/// without wiring; gauges that read a gateway's live state are registered per gateway by <see cref="GatewayMetricsObserver"/>.
/// Labels never carry session or user ids (unbounded, and personal).
/// </summary>
public static class GatewayMetrics
{
    private static readonly Meter Meter = new(GatewayTelemetry.MeterName, ProductInfo.Version);

    /// <summary>Calls the gateway made to backends, per backend, method and public name; error.type when they failed.</summary>
    public static readonly Histogram<double> BackendOperationDuration = Meter.CreateHistogram<double>(
        "master_mcp.backend.operation.duration", "s", "Duration of calls the gateway routed to a backend.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    /// <summary>Health probes of backends (ping, or a reconnect attempt of a failed one).</summary>
    public static readonly Histogram<double> BackendProbeDuration = Meter.CreateHistogram<double>(
        "master_mcp.backend.probe.duration", "s", "Duration of backend health probes.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>Requests a backend sent to a client (sampling, elicitation, roots) that wait for the client's answer.</summary>
    public static readonly UpDownCounter<long> PendingClientRequests = Meter.CreateUpDownCounter<long>(
        "master_mcp.client_requests.pending", "{request}", "Server-to-client requests (sampling, elicitation, roots) waiting for the client.");

    /// <summary>Catalog list lookups answered from the cache or fetched from the backend.</summary>
    public static readonly Counter<long> ListCacheLookups = Meter.CreateCounter<long>(
        "master_mcp.list_cache.lookups", "{lookup}", "Backend list lookups of the catalog; master_mcp.cache.result is hit or miss.");

    /// <summary>Refreshes of per-user backend tokens, by outcome.</summary>
    public static readonly Counter<long> TokenRefreshes = Meter.CreateCounter<long>(
        "master_mcp.token.refreshes", "{refresh}", "Refreshes of per-user backend tokens; master_mcp.outcome is success or failure.");

    /// <summary>Requests refused by security.rate_limits.</summary>
    public static readonly Counter<long> RateLimitRejections = Meter.CreateCounter<long>(
        "master_mcp.rate_limit.rejections", "{request}", "Requests refused with 429 by security.rate_limits.");

    /// <summary>Requests refused by authentication, by reason.</summary>
    public static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>(
        "master_mcp.auth.failures", "{request}", "Requests refused by authentication; master_mcp.auth.failure_reason says why.");

    /// <summary>Backend requests ended because the client cancelled them or went away.</summary>
    public static readonly Counter<long> BackendRequestsCancelled = Meter.CreateCounter<long>(
        "master_mcp.backend.requests.cancelled", "{request}", "Backend requests cancelled because their client cancelled or went away.");

    /// <summary>Records one routed backend call.</summary>
    public static void RecordBackendCall(string backendId, string method, string? publicName, double seconds, string? errorType)
    {
        var tags = new TagList
        {
            { GatewayTelemetry.BackendIdAttribute, backendId },
            { GatewayTelemetry.McpMethodAttribute, method },
        };
        if (publicName is not null)
        {
            tags.Add(GatewayTelemetry.PublicNameAttribute, publicName);
        }
        if (errorType is not null)
        {
            tags.Add(GatewayTelemetry.ErrorTypeAttribute, errorType);
        }
        BackendOperationDuration.Record(seconds, tags);
    }

    /// <summary>Records one catalog list lookup.</summary>
    public static void RecordListLookup(string backendId, bool hit) =>
        ListCacheLookups.Add(1, new KeyValuePair<string, object?>(GatewayTelemetry.BackendIdAttribute, backendId), new KeyValuePair<string, object?>("master_mcp.cache.result", hit ? "hit" : "miss"));

    /// <summary>Records one token refresh.</summary>
    public static void RecordTokenRefresh(string backendId, bool succeeded) =>
        TokenRefreshes.Add(1, new KeyValuePair<string, object?>(GatewayTelemetry.BackendIdAttribute, backendId), new KeyValuePair<string, object?>("master_mcp.outcome", succeeded ? "success" : "failure"));

    /// <summary>Records one authentication refusal.</summary>
    public static void RecordAuthFailure(string reason, string route) =>
        AuthFailures.Add(1, new KeyValuePair<string, object?>("master_mcp.auth.failure_reason", reason), new KeyValuePair<string, object?>("http.route", route));

    /// <summary>Records one rate-limit refusal.</summary>
    public static void RecordRateLimited(string limit, string route) =>
        RateLimitRejections.Add(1, new KeyValuePair<string, object?>("master_mcp.rate_limit.name", limit), new KeyValuePair<string, object?>("http.route", route));

    /// <summary>Records one backend health probe.</summary>
    public static void RecordProbe(string backendId, double seconds, bool succeeded) =>
        BackendProbeDuration.Record(seconds, new KeyValuePair<string, object?>(GatewayTelemetry.BackendIdAttribute, backendId), new KeyValuePair<string, object?>("master_mcp.outcome", succeeded ? "success" : "failure"));
}
