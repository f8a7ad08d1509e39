using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Scaleout;

/// <summary>Without Redis, /ready says so: interactive MCP (server→client requests, streams, per-client backends) needs one instance.</summary>
public sealed class SingleInstanceHealthCheck : IHealthCheck
{
    /// <summary>The name shown in the /ready body.</summary>
    public const string Name = "scaleout";

    /// <summary>The notice shown in /ready and logged at startup.</summary>
    public const string Notice = "single instance: scaleout.redis is not set, so sampling, elicitation, roots, logging and GET streams work only while one instance serves all clients";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy(Notice));
}
