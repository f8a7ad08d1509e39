namespace MasterMcp.Tests.Conformance;

/// <summary>The checks of one scenario; <see cref="Ran"/> is false when the suite wrote no checks.json for it.</summary>
public sealed record ConformanceScenarioResult(string Scenario, bool Ran, IReadOnlyList<ConformanceCheck> Checks);
