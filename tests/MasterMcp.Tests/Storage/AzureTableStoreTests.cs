using Azure.Data.Tables;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Storage;

/// <summary>The store behaviour against Azurite; each test gets its own tables through a unique prefix.</summary>
[Collection("azurite")]
public sealed class AzureTableStoreTests(AzuriteFixture azurite) : TableStoreBehaviourTests
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..12];
    private TableStoreFactory? _factory;

    protected override IStoreFactory Factory => _factory ??= new TableStoreFactory(
        new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = _prefix }, Time);

    [Fact]
    public async Task TableDeletedBehindOurBack_IsRecreatedOnNextWrite()
    {
        await Table.UpsertAsync("p", "r", "before", StorageTestJsonContext.Default.String);
        await new TableServiceClient(azurite.ConnectionString).DeleteTableAsync(Table.Name);

        Assert.Empty(await ToListAsync(Table.QueryPartitionAsync("p", StorageTestJsonContext.Default.String)));
        await Table.UpsertAsync("p", "r", "after", StorageTestJsonContext.Default.String);

        Assert.Equal("after", (await Table.GetAsync("p", "r", StorageTestJsonContext.Default.String))!.Value);
    }

    [Fact]
    public async Task Name_IsPrefixPlusLogicalName()
    {
        Assert.Equal(_prefix + "items", Table.Name);
        await Factory.CheckAsync();
    }
}
