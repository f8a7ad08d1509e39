using System.Security.Cryptography;
using System.Text;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Scaleout;
using MasterMcp.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace MasterMcp.Observability;

/// <summary>
/// GET /metrics: the OpenTelemetry Prometheus exporter's scrape output (every series labelled with service_instance_id),
/// served through the shared pipeline so both hosts answer it. Off unless telemetry.metrics_endpoint is true; with auth on
/// the scraper presents telemetry.metrics_token as a bearer token. With FEATURE_METRICS_JSON=1 the same metrics come as JSON
/// for <c>Accept: application/json</c> or <c>?format=json</c>.
/// </summary>
public sealed class MetricsEndpoint(IOptionsMonitor<GatewayOptions> options, AuthSettingsProvider auth, ISecretResolver secrets, MeterProvider meterProvider,
    InstanceIdentity instance, JsonMetricsReader json, GatewayStartup startup, IServiceProvider services) : IEndpointHandler
{
    // The exporter's middleware is internal: run it in a small inner pipeline (as /mcp runs the SDK's), so this route
    // stays in the route table and both hosts serve it.
    private readonly RequestDelegate _prometheus = new ApplicationBuilder(services)
        .UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider, predicate: _ => true, path: null, configureBranchedPipeline: null, optionsName: null)
        .Build();
    private readonly bool _jsonEnabled = TelemetryServiceCollectionExtensions.IsOn(startup.Inputs.Env("FEATURE_METRICS_JSON"));

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var settings = options.CurrentValue.Telemetry;
        if (!settings.MetricsEndpoint)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "GET /metrics is off; set telemetry.metrics_endpoint to true to serve it.");
        }
        if (auth.Current.Enabled)
        {
            await CheckTokenAsync(context, settings);
        }
        context.Response.Headers.CacheControl = "no-store";
        if (_jsonEnabled && WantsJson(context.Request))
        {
            var body = json.Collect(instance.Id) ?? throw new InvalidOperationException("The JSON metrics reader is not attached to the meter provider.");
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body, context.RequestAborted);
            return;
        }
        await _prometheus(context);
    }

    private async Task CheckTokenAsync(HttpContext context, TelemetryOptions settings)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // Validation refuses metrics_endpoint without a token while auth is on; a token removed by a bad edit still refuses all.
        var expected = settings.MetricsToken is { Length: > 0 } configured ? await secrets.ResolveAsync(configured, "telemetry.metrics_token", context.RequestAborted) : null;
        if (presented.Length == 0 || expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
        {
            GatewayMetrics.RecordAuthFailure(presented.Length == 0 ? "missing_token" : "invalid_token", GatewayRoutes.Metrics.Name);
            throw new GatewayHttpException(StatusCodes.Status401Unauthorized, "unauthorized",
                presented.Length == 0 ? "GET /metrics needs Authorization: Bearer <telemetry.metrics_token>." : "The bearer token is not telemetry.metrics_token.")
            {
                Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer realm=\"metrics\"" },
            };
        }
    }

    private static bool WantsJson(HttpRequest request) =>
        request.Query["format"] == "json" || request.Headers.Accept.Any(a => a is not null && a.Contains("application/json", StringComparison.OrdinalIgnoreCase));
}
