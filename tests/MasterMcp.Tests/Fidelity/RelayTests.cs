namespace MasterMcp.Tests.Fidelity;

/// <summary>The relay scenarios against one gateway instance.</summary>
public sealed class RelayTests(RelayFixture fixture) : RelayScenarios(fixture), IClassFixture<RelayFixture>;
