namespace MasterMcp.Tests.Conformance;

/// <summary>How to run the conformance suite's server side.</summary>
public sealed record ConformanceRunOptions
{
    /// <summary>
    /// The suite's <c>--suite</c>: <c>all</c> (every server scenario, including the pending
    /// <c>json-schema-2020-12</c> and <c>server-sse-polling</c>), <c>active</c> or <c>pending</c>.
    /// Ignored when <see cref="Scenario"/> is set.
    /// </summary>
    public string Suite { get; init; } = "all";

    /// <summary>Run only this scenario (the suite's <c>--scenario</c>).</summary>
    public string? Scenario { get; init; }

    /// <summary>Where the suite writes <c>server-&lt;scenario&gt;-&lt;timestamp&gt;/checks.json</c>; a fresh temp folder when null.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The whole run is killed after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);
}
