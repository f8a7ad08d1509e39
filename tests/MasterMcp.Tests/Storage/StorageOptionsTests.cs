using MasterMcp.Storage;

namespace MasterMcp.Tests.Storage;

public sealed class StorageOptionsTests
{
    private static Func<string, string?> Settings(params (string Key, string Value)[] values)
    {
        var map = values.ToDictionary(v => v.Key, v => (string?)v.Value);
        return key => map.GetValueOrDefault(key);
    }

    [Fact]
    public void ConnectionString_FromAzureWebJobsStorage()
    {
        var options = StorageOptions.FromSettings(Settings(("AzureWebJobsStorage", "UseDevelopmentStorage=true")), null);

        Assert.Equal("UseDevelopmentStorage=true", options.ConnectionString);
        Assert.Null(options.TableServiceUri);
        Assert.Equal("mastermcp", options.TablePrefix);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
    }

    [Fact]
    public void TableServiceUri_WithManagedIdentity()
    {
        var options = StorageOptions.FromSettings(Settings(
            ("AzureWebJobsStorage__tableServiceUri", "https://acct.table.core.windows.net"),
            ("AzureWebJobsStorage__credential", "managedidentity"),
            ("AzureWebJobsStorage__clientId", "client-1")), null);

        Assert.Null(options.ConnectionString);
        Assert.Equal("https://acct.table.core.windows.net", options.TableServiceUri);
        Assert.Equal("managedidentity", options.Credential);
        Assert.Equal("client-1", options.ClientId);
    }

    [Fact]
    public void AccountName_BecomesTableServiceUri()
    {
        var options = StorageOptions.FromSettings(Settings(("AzureWebJobsStorage__accountName", "acct")), null);

        Assert.Equal("https://acct.table.core.windows.net", options.TableServiceUri);
        Assert.Equal("acct", options.AccountName);
    }

    [Fact]
    public void ConfigurationSpelling_WithColon_IsAccepted()
    {
        var options = StorageOptions.FromSettings(Settings(("AzureWebJobsStorage:accountName", "acct")), null);

        Assert.Equal("https://acct.table.core.windows.net", options.TableServiceUri);
    }

    [Fact]
    public void Override_WinsOverEverySetting()
    {
        var options = StorageOptions.FromSettings(Settings(
            ("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
            ("AzureWebJobsStorage__accountName", "acct")), "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;AccountName=a;AccountKey=a2V5");

        Assert.Equal("TableEndpoint=http://127.0.0.1:1/devstoreaccount1;AccountName=a;AccountKey=a2V5", options.ConnectionString);
        Assert.Null(options.TableServiceUri);
    }

    [Fact]
    public void Nothing_Throws_NamingTheSettings()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageOptions.FromSettings(Settings(), null));

        Assert.Contains("AzureWebJobsStorage", error.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__tableServiceUri", error.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__accountName", error.Message, StringComparison.Ordinal);
        Assert.Contains("storage.connection_string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidServiceUri_Throws()
    {
        Assert.Throws<InvalidOperationException>(() =>
            StorageOptions.FromSettings(Settings(("AzureWebJobsStorage__tableServiceUri", "not a url")), null));
    }
}
