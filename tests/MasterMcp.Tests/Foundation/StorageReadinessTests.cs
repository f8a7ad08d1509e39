using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>/ready follows Table Storage (Azurite here); /health never does.</summary>
public sealed class StorageReadinessTests
{
    [Fact]
    public async Task Ready_Is200WithAzurite_503WhenAzuriteStops_HealthStays200()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync(
            ["--storage.timeout_seconds=1"],
            new Dictionary<string, string> { ["AzureWebJobsStorage"] = azurite.ConnectionString },
            inMemoryStorage: false);

        using (var ready = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative)))
        {
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.True(ready.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal("ok", (string?)body["checks"]?["storage"]);
        }

        await azurite.StopAsync();

        // That the storage check is bounded by storage.timeout_seconds is proven on a fake clock in TableStoreFactoryTests.
        using (var notReady = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative)))
        {
            var body = JsonNode.Parse(await notReady.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("not_ready", (string?)body["status"]);
            Assert.NotEqual("ok", (string?)body["checks"]?["storage"]);
            Assert.DoesNotContain("AccountKey", body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        }

        using var health = await gateway.Http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("""{"ok":true}""", await health.Content.ReadAsStringAsync());
    }
}
