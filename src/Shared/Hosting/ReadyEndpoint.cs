using MasterMcp.Configuration;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>GET /ready: 200 when the configuration is loaded and every readiness check passes, else 503. With auth on, anonymous callers get only the status.</summary>
public sealed class ReadyEndpoint(GatewayConfigMonitor config, IEnumerable<IReadinessCheck> checks, Auth.AuthSettingsProvider auth) : IEndpointHandler
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(CheckTimeout);
        var list = checks.ToList();
        var results = await Task.WhenAll(list.Select(c => c.CheckAsync(timeout.Token)));
        var (configStatus, configError) = (config.LastReloadError, config.LastApplyError) switch
        {
            ({ } rejected, _) => ("ok (last reload rejected)", rejected),
            (null, { } failed) => ("ok (last reload applied with errors)", failed),
            _ => ("ok", null),
        };
        var statuses = new Dictionary<string, string> { ["config"] = configStatus };
        var ready = true;
        for (var i = 0; i < list.Count; i++)
        {
            statuses[list[i].Name] = results[i].Status;
            ready &= results[i].Ready;
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
