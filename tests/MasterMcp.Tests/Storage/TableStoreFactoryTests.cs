using System.Net;
using System.Net.Sockets;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace MasterMcp.Tests.Storage;

public sealed class TableStoreFactoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CheckAsync_WithAzuriteStopped_ThrowsUnavailable_WithoutSecrets_AndRecoversAfterRestart()
    {
        await using var azurite = await AzuriteFixture.StartNewAsync();
        var factory = new TableStoreFactory(new StorageOptions { ConnectionString = azurite.ConnectionString, Timeout = TimeSpan.FromSeconds(2) });
        var table = factory.GetTable("outage");
        await factory.CheckAsync();
        await table.UpsertAsync("p", "r", "before", StorageTestJsonContext.Default.String);

        await azurite.StopAsync();
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => factory.CheckAsync());
        output.WriteLine(error.Message);

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
    public async Task CheckAsync_AgainstStorageThatNeverAnswers_FailsWhenTheConfiguredTimeoutHasPassed_NotBefore()
    {
        // A listener that takes the connection and never answers: without the bound the check would hang.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () => accepted.TrySetResult(await silent.AcceptSocketAsync()));
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var time = new FakeTimeProvider();
        // Long enough that the SDK's per-try network timeout (real clock, same value) never fires during the test.
        var timeout = TimeSpan.FromMinutes(10);
        var factory = new TableStoreFactory(
            new StorageOptions
            {
                ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};TableEndpoint=http://127.0.0.1:{port}/{AzuriteFixture.AccountName};",
                Timeout = timeout,
            },
            time);

        var check = factory.CheckAsync();
        using var connection = await accepted.Task.WaitAsync(Wait.DefaultPatience);
        await ReadRequestHeadAsync(connection);
        time.Advance(timeout - TimeSpan.FromMilliseconds(1));
        // A cancelled request closes its connection (done in the cancellation callback, so within Advance).
        Assert.False(check.IsCompleted || (connection.Poll(0, SelectMode.SelectRead) && connection.Available == 0),
            "the check gave up before its timeout had passed");

        time.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => check.WaitAsync(Wait.DefaultPatience));
        output.WriteLine(error.Message);
        Assert.Equal($"Table Storage at http://127.0.0.1:{port}/{AzuriteFixture.AccountName} is unreachable: no answer within 600 s", error.Message);
    }

    /// <summary>Reads the client's request up to the blank line that ends its head (the query has no body).</summary>
    private static async Task ReadRequestHeadAsync(Socket connection)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!System.Text.Encoding.ASCII.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await connection.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Wait.DefaultPatience);
            Assert.True(read > 0, "the client closed the connection before sending its request");
            received.AddRange(buffer.AsSpan(0, read));
        }
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
