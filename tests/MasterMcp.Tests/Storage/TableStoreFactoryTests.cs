using System.Diagnostics;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Storage;

public sealed class TableStoreFactoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CheckAsync_WithAzuriteStopped_ThrowsUnavailableWithinSeconds_WithoutSecrets_AndRecoversAfterRestart()
    {
        await using var azurite = await AzuriteFixture.StartNewAsync();
        var factory = new TableStoreFactory(new StorageOptions { ConnectionString = azurite.ConnectionString, Timeout = TimeSpan.FromSeconds(2) });
        var table = factory.GetTable("outage");
        await factory.CheckAsync();
        await table.UpsertAsync("p", "r", "before", StorageTestJsonContext.Default.String);

        await azurite.StopAsync();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => factory.CheckAsync());
        clock.Stop();
        output.WriteLine($"{clock.Elapsed}: {error.Message}");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"CheckAsync took {clock.Elapsed}");
        Assert.StartsWith($"Table Storage at {azurite.TableEndpoint} is unreachable: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", error.ToString(), StringComparison.Ordinal);

        var operationError = await Assert.ThrowsAsync<StorageUnavailableException>(
            () => table.GetAsync("p", "r", StorageTestJsonContext.Default.String));
        Assert.DoesNotContain(AzuriteFixture.AccountKey, operationError.Message, StringComparison.Ordinal);

        // A restarted Azurite has lost its tables (in-memory); the store recreates them.
        await azurite.StartAsync();
        await factory.CheckAsync();
        await table.UpsertAsync("p", "r", "after", StorageTestJsonContext.Default.String);
        Assert.Equal("after", (await table.GetAsync("p", "r", StorageTestJsonContext.Default.String))!.Value);
    }

    [Fact]
    public void DevelopmentStorage_UsesAzuriteDefaultTablePort()
    {
        var factory = new TableStoreFactory(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" });

        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", factory.Endpoint);
    }

    [Fact]
    public void ManagedIdentity_UsesServiceUriAsEndpoint()
    {
        var factory = new TableStoreFactory(new StorageOptions
        {
            TableServiceUri = "https://acct.table.core.windows.net",
            Credential = "managedidentity",
            ClientId = "00000000-0000-0000-0000-000000000001",
        });

        Assert.Equal("https://acct.table.core.windows.net", factory.Endpoint);
    }

    [Fact]
    public void InvalidConnectionString_IsRefused_WithoutEchoingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new TableStoreFactory(new StorageOptions { ConnectionString = "nonsense-secret-value" }));

        Assert.DoesNotContain("nonsense-secret-value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void NoConnectionStringOrUri_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new TableStoreFactory(new StorageOptions()));
    }

    [Theory]
    [InlineData("mastermcp", "sessions", "mastermcpsessions")]
    [InlineData("master-mcp", "oauth_states", "mastermcpoauthstates")]
    [InlineData("", "abc", "abc")]
    public void GetTableName_KeepsLettersAndDigits(string prefix, string name, string expected)
    {
        Assert.Equal(expected, TableStoreFactory.GetTableName(prefix, name));
    }

    [Theory]
    [InlineData("", "ab")]
    [InlineData("1", "abc")]
    [InlineData("", "--")]
    public void GetTableName_RefusesInvalidNames(string prefix, string name)
    {
        Assert.Throws<ArgumentException>(() => TableStoreFactory.GetTableName(prefix, name));
    }

    [Fact]
    public void GetTableName_RefusesNamesLongerThan63()
    {
        Assert.Throws<ArgumentException>(() => TableStoreFactory.GetTableName("mastermcp", new string('a', 60)));
    }
}
