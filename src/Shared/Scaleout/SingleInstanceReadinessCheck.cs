using MasterMcp.Hosting;

namespace MasterMcp.Scaleout;

/// <summary>Without Redis, /ready says so: interactive MCP (server→client requests, streams, per-client backends) needs one instance.</summary>
public sealed class SingleInstanceReadinessCheck : IReadinessCheck
{
    /// <summary>The notice shown in /ready and logged at startup.</summary>
    public const string Notice = "single instance: scaleout.redis is not set, so sampling, elicitation, roots, logging and GET streams work only while one instance serves all clients";

    /// <inheritdoc />
    public string Name => "scaleout";

    /// <inheritdoc />
    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(new ReadinessResult(true, Notice));
}
