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
        Assert.Equal(HttpStatusCode.OK, await InitializeFromAsync(gateway, "https://one.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await InitializeFromAsync(gateway, "https://two.example"));

        await File.WriteAllTextAsync(file, Config("https://two.example", "warning"));
        await Wait.Until(() => monitor.ReloadCount == 1, "the valid edit was not picked up");
        Assert.Equal(["https://two.example"], monitor.CurrentValue.Security.AllowedOrigins);
        // What the gateway does, not only what the options say: the new origin gets through, the old one no longer.
        Assert.Equal(HttpStatusCode.OK, await InitializeFromAsync(gateway, "https://two.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await InitializeFromAsync(gateway, "https://one.example"));
        Assert.Equal("warning", monitor.CurrentValue.Logging.Level);
        Assert.Null(monitor.LastReloadError);

        await File.WriteAllTextAsync(file, """{ "servers": [ { "id": "x", "url": 42 } ], "security": { "allowed_origins": ["https://three.example"] } }""");
        await Wait.Until(() => monitor.LastReloadError is not null, "the invalid edit was not noticed");
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
        await Wait.Until(() => monitor.ReloadCount == 2, "a valid edit after a rejected one was not picked up");
        Assert.Null(monitor.LastReloadError);
        Assert.Equal(["https://four.example"], monitor.CurrentValue.Security.AllowedOrigins);
    }

    /// <summary>The status of an MCP initialize sent by a browser page on <paramref name="origin"/>.</summary>
    private static async Task<HttpStatusCode> InitializeFromAsync(InProcessGateway gateway, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"page","version":"1"}}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Add("Origin", origin);
        using var response = await gateway.Http.SendAsync(request);
        return response.StatusCode;
    }
}
