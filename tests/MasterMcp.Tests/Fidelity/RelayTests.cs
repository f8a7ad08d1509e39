using MasterMcp.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Fidelity;

/// <summary>The relay scenarios against one gateway instance.</summary>
public sealed class RelayTests(RelayFixture fixture) : RelayScenarios(fixture), IClassFixture<RelayFixture>
{
    [Fact]
    public void Gateway_KeepsItsState_InTableStorage()
    {
        // The scenarios run on the product's real store (Azurite), not the in-memory one.
        Assert.IsType<TableStoreFactory>(fixture.Gateway.Services.GetRequiredService<IStoreFactory>());
    }
}
