using MasterMcp.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Storage;

public sealed class StorageServiceCollectionExtensionsTests
{
    [Fact]
    public void AddTableStorage_RegistersOneTableStoreFactory()
    {
        using var provider = new ServiceCollection()
            .AddTableStorage(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" })
            .BuildServiceProvider();

        var factory = Assert.IsType<TableStoreFactory>(provider.GetRequiredService<IStoreFactory>());
        Assert.Same(factory, provider.GetRequiredService<IStoreFactory>());
        Assert.Equal("mastermcpsessions", factory.GetTable("sessions").Name);
    }
}
