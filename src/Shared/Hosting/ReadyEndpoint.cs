using MasterMcp.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Hosting;

/// <summary>
/// GET /ready: 200 when the configuration is loaded and no health check (Microsoft.Extensions.Diagnostics.HealthChecks:
/// storage, Redis or the single-instance notice, backends) is Unhealthy, else 503; Degraded (Redis down, an optional
/// backend down) stays ready. With auth on, anonymous callers get only the status.
/// </summary>
public sealed class ReadyEndpoint(GatewayConfigMonitor config, HealthCheckService health, Auth.AuthSettingsProvider auth) : IEndpointHandler
{
    /// <summary>How long one check may take before it counts as failed ("timed out").</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var report = await health.CheckHealthAsync(context.RequestAborted);
        var (configStatus, configError) = (config.LastReloadError, config.LastApplyError) switch
        {
            ({ } rejected, _) => ("ok (last reload rejected)", rejected),
            (null, { } failed) => ("ok (last reload applied with errors)", failed),
            _ => ("ok", null),
        };
        var statuses = new Dictionary<string, string> { ["config"] = configStatus };
        var ready = true;
        foreach (var (name, entry) in report.Entries)
        {
            // A check that ran out of time is cancelled by the health check service, which reports its own text.
            statuses[name] = entry.Description ?? (entry.Exception is OperationCanceledException ? "timed out" : entry.Exception?.Message ?? entry.Status.ToString());
            ready &= entry.Status != HealthStatus.Unhealthy;
        }
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        if (auth.Current.Enabled && Auth.GatewayUser.From(context) is null)
        {
            // Anonymous callers (load balancers) learn ready or not, nothing about versions or backends; a refused reload
            // shows without its reason, so whoever edits the file on a locked-down instance can see it was not applied.
            var anonymous = configError is null ? null : new Dictionary<string, string> { ["config"] = configStatus };
            await context.Response.WriteAsJsonAsync(new ReadyBody(ready ? "ready" : "not_ready", null, null, anonymous), HostingJsonContext.Default.ReadyBody, contentType: "application/json", cancellationToken: context.RequestAborted);
            return;
        }
        if (configError is not null)
        {
            statuses["config_error"] = configError;
        }
        var body = new ReadyBody(ready ? "ready" : "not_ready", ProductInfo.Version, config.Current.EnvironmentName, statuses);
        await context.Response.WriteAsJsonAsync(body, HostingJsonContext.Default.ReadyBody, contentType: "application/json", cancellationToken: context.RequestAborted);
    }
}

/// <summary>The body of /ready.</summary>
public sealed record ReadyBody(string Status, string? Version, string? Environment, IReadOnlyDictionary<string, string>? Checks);
