using Azure.Monitor.OpenTelemetry.Exporter;
using MasterMcp.Hosting;
using MasterMcp.Scaleout;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MasterMcp.Observability;

/// <summary>
/// OpenTelemetry for both hosts: subscribes to the MCP SDK's spans and metrics (it instruments MCP itself; the gateway
/// does not instrument it twice), adds the gateway's span attributes and meter, and exports where the environment says:
/// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is
/// set, and the pull readers behind <c>GET /metrics</c> (Prometheus text; JSON with <c>FEATURE_METRICS_JSON=1</c>).
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The service.name resource attribute.</summary>
    public const string ServiceName = "master-mcp";

    /// <summary>ASP.NET Core's hosting meter: <c>http.server.request.duration</c> and <c>http.server.active_requests</c>.</summary>
    public const string AspNetCoreHostingMeterName = "Microsoft.AspNetCore.Hosting";

    /// <summary>Registers OpenTelemetry; the Functions host adds its worker defaults to the returned builder.</summary>
    public static IOpenTelemetryBuilder AddGatewayTelemetry(this IServiceCollection services, GatewayStartup startup)
    {
        var inputs = startup.Inputs;
        services.AddSingleton<GatewayMetricsObserver>();
        services.AddSingleton<JsonMetricsReader>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(ServiceName, serviceVersion: ProductInfo.Version, autoGenerateServiceInstanceId: false)
                .AddDetector(sp => new InstanceResourceDetector(sp.GetRequiredService<InstanceIdentity>())))
            .WithTracing(tracing => tracing
                // The HTTP server span of the request on Kestrel (under the Functions host the worker's invocation span).
                .AddAspNetCoreInstrumentation()
                .AddSource(GatewayTelemetry.McpSourceName, GatewayTelemetry.ActivitySourceName)
                .AddProcessor<GatewaySpanProcessor>())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayTelemetry.McpSourceName, GatewayTelemetry.MeterName, Audit.AuditMetrics.MeterName)
                    // ASP.NET Core's own HTTP server metrics (request duration, requests in flight) on Kestrel.
                    .AddMeter(AspNetCoreHostingMeterName)
                    // Behind a balancer each scrape reaches one instance: every series names it.
                    .AddPrometheusExporter(o => o.ResourceConstantLabels = key => key == "service.instance.id");
                if (IsOn(inputs.Env("FEATURE_METRICS_JSON")))
                {
                    metrics.AddReader(sp => sp.GetRequiredService<JsonMetricsReader>().Reader);
                }
            });
        services.AddHostedService(sp => new GatewayMetricsObserver.Starter(sp.GetRequiredService<GatewayMetricsObserver>()));
        if (inputs.Env("OTEL_EXPORTER_OTLP_ENDPOINT") is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new Configuration.ConfigurationException([$"OTEL_EXPORTER_OTLP_ENDPOINT: '{endpoint}' is not an absolute http or https URL"]);
            }
            // Endpoint and protocol from the variables this process was started with (tests pass theirs without touching the
            // process environment); the exporter reads the other OTEL_EXPORTER_OTLP_* settings (headers, timeout) itself.
            var protocol = inputs.Env("OTEL_EXPORTER_OTLP_PROTOCOL") switch
            {
                null or "grpc" => OpenTelemetry.Exporter.OtlpExportProtocol.Grpc,
                "http/protobuf" => OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf,
                var other => throw new Configuration.ConfigurationException([$"OTEL_EXPORTER_OTLP_PROTOCOL: '{other}' is not supported; use grpc (the default) or http/protobuf"]),
            };
            telemetry.UseOtlpExporter(protocol, uri);
        }
        if (inputs.Env("APPLICATIONINSIGHTS_CONNECTION_STRING") is { } connectionString)
        {
            var credential = AzureMonitorCredential(inputs.Env("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"));
            telemetry.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = connectionString;
                o.Credential = credential;
            });
        }
        if (inputs.Env("OTEL_EXPORTER_OTLP_ENDPOINT") is not null || inputs.Env("APPLICATIONINSIGHTS_CONNECTION_STRING") is not null)
        {
            // Logs go with the traces, scopes (correlation id, route) and trace id included.
            telemetry.WithLogging(configureBuilder: null, configureOptions: o =>
            {
                o.IncludeScopes = true;
                o.IncludeFormattedMessage = true;
            });
        }
        return telemetry;
    }

    /// <summary>
    /// Entra ID sign-in for Application Insights with local auth off (infra sets
    /// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING=ClientId=…;Authorization=AAD</c>, the Functions host's own format):
    /// the user-assigned identity named there, else <see cref="Azure.Identity.DefaultAzureCredential"/>; null without AAD.
    /// </summary>
    internal static Azure.Core.TokenCredential? AzureMonitorCredential(string? authenticationString)
    {
        if (authenticationString is null)
        {
            return null;
        }
        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!string.Equals(parts.GetValueOrDefault("Authorization"), "AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return parts.GetValueOrDefault("ClientId") is { Length: > 0 } clientId
            ? new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new Azure.Identity.DefaultAzureCredential();
    }

    /// <summary>True for the seed's feature-flag values "1" and "true".</summary>
    public static bool IsOn(string? flag) => flag is "1" || string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase);

    private sealed class InstanceResourceDetector(InstanceIdentity instance) : IResourceDetector
    {
        public Resource Detect() => new([new KeyValuePair<string, object>("service.instance.id", instance.Id)]);
    }
}
