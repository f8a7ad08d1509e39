using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>A backend dies: the others keep being served, the dead one is reported and fails fast, and it returns by itself.</summary>
public sealed class BackendFailureTests : IAsyncLifetime
{
    // Long on purpose: "fails fast" is measured against this timeout (the baseline the gateway would otherwise wait out),
    // so a slow machine cannot turn a fast failure into a slow one.
    private const int BetaTimeoutMs = 60_000;
    private static readonly TimeSpan BetaTimeout = TimeSpan.FromMilliseconds(BetaTimeoutMs);
    private TestServerProcess _alpha = null!;
    private TestServerProcess _beta = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _beta = await TestServerProcess.StartAsync("SampleServer", "--name", "beta");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(
                new JsonObject { ["id"] = "alpha", ["url"] = _alpha.McpUrl.ToString() },
                new JsonObject { ["id"] = "beta", ["url"] = _beta.McpUrl.ToString(), ["timeout_ms"] = BetaTimeoutMs, ["required"] = true, ["health_check_seconds"] = 1 }),
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    [Fact]
    public async Task KilledBackend_IsLeftOutAndReported_FailsFast_AndIsServedAgainAfterRestart()
    {
        await using var client = await _gateway.ConnectAsync();
        Assert.Contains("beta__echo", (await client.ListToolsAsync()).Select(t => t.Name));
        var port = _beta.BaseUrl.Port;

        await _beta.DisposeAsync();

        // The list still answers, with alpha's tools, long before beta's timeout.
        var names = await Wait.For(
            async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => !n.Contains("beta__echo"), "beta left out of the list", BetaTimeout / 2);
        Assert.Contains("alpha__echo", names);

        // A call to its tool fails fast (without waiting out beta's timeout) with an error that names the backend.
        var call = client.CallToolAsync("beta__echo", new Dictionary<string, object?> { ["text"] = "x" }).AsTask();
        Assert.True(await Task.WhenAny(call, Task.Delay(BetaTimeout / 2)) == call, $"the call to the dead backend was still waiting after half its {BetaTimeout} timeout");
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => call);
        Assert.Contains("beta", error.Message, StringComparison.Ordinal);

        // /ready (beta is required) and /capabilities report it.
        using var http = new HttpClient();
        var ready = await http.GetAsync(new Uri(_gateway.BaseUrl, "/ready"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var readyBody = await ready.Content.ReadAsStringAsync();
        Assert.Contains("beta", readyBody, StringComparison.Ordinal);
        var capabilities = await http.GetFromJsonAsync<JsonObject>(new Uri(_gateway.BaseUrl, "/capabilities"));
        var beta = capabilities!["backends"]!.AsArray().Single(b => b!["id"]!.GetValue<string>() == "beta")!;
        Assert.Equal("failed", beta["state"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(beta["last_error"]?.GetValue<string>()));
        var alpha = capabilities["backends"]!.AsArray().Single(b => b!["id"]!.GetValue<string>() == "alpha")!;
        Assert.Equal("connected", alpha["state"]!.GetValue<string>());

        // Alpha is unaffected.
        Assert.Equal("alpha/echo: ok", AggregationTests.Text(await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "ok" })));

        // Restarted on the same address, beta is served again without restarting the gateway.
        _beta = await TestServerProcess.StartAsync("SampleServer", "--name", "beta", "--urls", $"http://127.0.0.1:{port}");
        await Wait.For(async () => (await client.ListToolsAsync()).Select(t => t.Name).ToList(), n => n.Contains("beta__echo"), "beta back in the list");
        var echo = await Wait.For(async () =>
        {
            try
            {
                return AggregationTests.Text(await client.CallToolAsync("beta__echo", new Dictionary<string, object?> { ["text"] = "back" }));
            }
            catch (McpProtocolException)
            {
                return "";
            }
        }, t => t.Length > 0, "beta's tool answering again");
        Assert.Equal("beta/echo: back", echo);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(_gateway.BaseUrl, "/ready"))).StatusCode);
    }

    // Kept for callers of BackendFailureTests.WaitForAsync: the wait itself is the test kit's (Fixtures/Wait.cs).
    internal static Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null) =>
        Wait.For(probe, done, patience: timeout);
}
