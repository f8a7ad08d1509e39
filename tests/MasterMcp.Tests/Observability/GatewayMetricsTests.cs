using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;

namespace MasterMcp.Tests.Observability;

/// <summary>The gateway's own instruments count what happened, read from a real scrape of /metrics (auth off: no token needed).</summary>
public sealed class GatewayMetricsTests : IAsyncLifetime
{
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["telemetry"] = new JsonObject { ["metrics_endpoint"] = true },
            ["security"] = new JsonObject { ["rate_limits"] = new JsonObject { ["per_address_per_minute"] = 6 } },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_CountsListCacheHitsAndMisses_RateLimitRejections_Sessions_AndBackendUp()
    {
        using var http = new HttpClient();
        var session = new RawMcpSession(http, _gateway.McpUrl, token: null);
        await session.InitializeAsync(); // 2 requests
        for (var id = 2; id <= 3; id++)
        {
            using var listed = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/list" });
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            await RawMcpSession.ReadUntilAsync(listed, m => m["id"] is not null);
        }
        // Requests 5 and 6 pass, then the per-address limit refuses.
        var statuses = new List<HttpStatusCode>();
        for (var id = 4; id <= 8; id++)
        {
            using var response = await session.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "ping" });
            statuses.Add(response.StatusCode);
        }
        var refused = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        Assert.True(refused >= 1, "no request was rate limited: " + string.Join(",", statuses));

        var samples = TelemetryKit.ParsePrometheus(await http.GetStringAsync(new Uri(_gateway.BaseUrl, "/metrics")));

        double Sum(string name, string label, string value) => samples.Where(s => s.Name == name && s.Labels.GetValueOrDefault(label) == value).Sum(s => s.Value);
        Assert.Equal(refused, Sum("master_mcp_rate_limit_rejections_total", "master_mcp_rate_limit_name", "per_address_per_minute"));
        // The first listing of alpha fetched it (miss); the second came from the cache (hit).
        Assert.True(Sum("master_mcp_list_cache_lookups_total", "master_mcp_cache_result", "miss") >= 1);
        Assert.True(Sum("master_mcp_list_cache_lookups_total", "master_mcp_cache_result", "hit") >= 1);
        Assert.Equal(1, Sum("master_mcp_backend_up", "master_mcp_backend_id", "alpha"));
        Assert.Equal(1, samples.Single(s => s.Name == "master_mcp_sessions_active").Value);
    }
}
