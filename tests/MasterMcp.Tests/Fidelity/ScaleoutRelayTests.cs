namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// The relay scenarios through three instances behind a round-robin balancer without affinity: every request of a
/// session may land on any instance, and must behave exactly as with one.
/// </summary>
public sealed class ScaleoutRelayTests(ScaleoutRelayFixture fixture) : RelayScenarios(fixture), IClassFixture<ScaleoutRelayFixture>;
