using System.Net;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>A config file edit is picked up while serving; an invalid edit is rejected and the last good configuration keeps serving.</summary>
public sealed class HotReloadTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Config(string allowedOrigin, string level) => $$"""
        {
          "logging": { "level": "{{level}}", "format": "json" },
          "security": { "allowed_origins": [ "{{allowedOrigin}}" ] },
          "servers": []
        }
        """;

    [Fact]
    public async Task ValidEdit_IsApplied_InvalidEdit_KeepsLastGoodConfig()
    {
        var file = _dir.Write("gateway.json", Config("https://one.example", "information"));
        await using var gateway = await InProcessGateway.StartAsync(["--config", file]);
        var monitor = gateway.Monitor;
        Assert.Equal(["https://one.example"], monitor.CurrentValue.Security.AllowedOrigins);

        await File.WriteAllTextAsync(file, Config("https://two.example", "warning"));
        await Eventually(() => monitor.ReloadCount == 1, "the valid edit was not picked up");
        Assert.Equal(["https://two.example"], monitor.CurrentValue.Security.AllowedOrigins);
        Assert.Equal("warning", monitor.CurrentValue.Logging.Level);
        Assert.Null(monitor.LastReloadError);

        await File.WriteAllTextAsync(file, """{ "servers": [ { "id": "x", "url": 42 } ], "security": { "allowed_origins": ["https://three.example"] } }""");
        await Eventually(() => monitor.LastReloadError is not null, "the invalid edit was not noticed");
        Assert.Contains("servers[0].url", monitor.LastReloadError, StringComparison.Ordinal);
        Assert.Contains(file, monitor.LastReloadError, StringComparison.Ordinal);
        Assert.Equal(1, monitor.ReloadCount);
        Assert.Equal(["https://two.example"], monitor.CurrentValue.Security.AllowedOrigins);

        using var health = await gateway.Http.GetAsync(new Uri("/health", UriKind.Relative));
        using var ready = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("last reload rejected", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, Config("https://four.example", "information"));
        await Eventually(() => monitor.ReloadCount == 2, "a valid edit after a rejected one was not picked up");
        Assert.Null(monitor.LastReloadError);
        Assert.Equal(["https://four.example"], monitor.CurrentValue.Security.AllowedOrigins);
    }

    private static async Task Eventually(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Delay(50);
        }
    }
}
