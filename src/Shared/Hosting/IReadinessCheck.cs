namespace MasterMcp.Hosting;

/// <summary>One thing /ready waits for (storage, required backends).</summary>
public interface IReadinessCheck
{
    /// <summary>The name shown in the /ready body.</summary>
    string Name { get; }

    /// <summary>Checks readiness; never throws.</summary>
    Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The outcome of one readiness check.</summary>
public sealed record ReadinessResult(bool Ready, string Status);
