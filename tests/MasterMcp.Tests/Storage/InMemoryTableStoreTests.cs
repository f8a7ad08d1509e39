using MasterMcp.Storage;

namespace MasterMcp.Tests.Storage;

/// <summary>The store behaviour on the in-memory implementation used by unit tests.</summary>
public sealed class InMemoryTableStoreTests : TableStoreBehaviourTests
{
    private InMemoryStoreFactory? _factory;

    protected override IStoreFactory Factory => _factory ??= new InMemoryStoreFactory(Time);

    [Fact]
    public async Task MarkedUnavailable_CheckAndOperationsThrowStorageUnavailable()
    {
        var factory = new InMemoryStoreFactory(Time) { IsUnavailable = true };

        await Assert.ThrowsAsync<StorageUnavailableException>(() => factory.CheckAsync());
        await Assert.ThrowsAsync<StorageUnavailableException>(() => factory.GetTable("items").GetAsync("p", "r", StorageTestJsonContext.Default.String));
    }
}
