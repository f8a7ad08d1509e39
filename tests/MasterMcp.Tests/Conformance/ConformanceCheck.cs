namespace MasterMcp.Tests.Conformance;

/// <summary>One check the conformance suite reported for a scenario, as written to its checks.json.</summary>
public sealed record ConformanceCheck
{
    public const string Success = "SUCCESS";
    public const string Failure = "FAILURE";
    public const string Warning = "WARNING";
    public const string Skipped = "SKIPPED";
    public const string Info = "INFO";

    /// <summary>The scenario that produced the check, e.g. <c>tools-call-simple-text</c>.</summary>
    public required string Scenario { get; init; }

    /// <summary>The suite's check id, e.g. <c>tools-call-simple-text</c> or <c>server-sse-retry-field</c>.</summary>
    public required string Id { get; init; }

    /// <summary>
    /// <c>scenario/id</c>, unique within a run: informational ids that repeat inside one scenario
    /// (request/response traces) get <c>#2</c>, <c>#3</c>… in the order the suite reported them.
    /// </summary>
    public required string Key { get; init; }

    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>SUCCESS, FAILURE, WARNING, SKIPPED or INFO, exactly as the suite reported it.</summary>
    public required string Status { get; init; }

    /// <summary>The suite's errorMessage, if any.</summary>
    public string? Message { get; init; }

    /// <summary>INFO entries are traces (requests sent, events seen), not verdicts.</summary>
    public bool IsInformational => Status == Info;

    /// <summary>Stricter than the suite, which counts warnings as passes: only SUCCESS and INFO pass here (a skipped check proved nothing).</summary>
    public bool Passed => Status is Success or Info;
}
