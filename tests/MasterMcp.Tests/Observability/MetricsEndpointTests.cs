using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Observability;

/// <summary>
/// GET /metrics with auth on (jwt mode, a real oidc-provider): the Prometheus scrape counts the tool calls made through the
/// gateway (the MCP SDK's server operation duration), names the instance on every series, and needs
/// telemetry.metrics_token (a file: secret reference here) — an OAuth access token is not it.
/// </summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private const string MetricsToken = "scrape-3f9c1d2e";
    private OidcProviderProcess _idp = null!;
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;
    private string _resource = "";

    public async Task InitializeAsync()
    {
        _idp = await OidcProviderProcess.StartAsync();
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var tokenFile = Path.Combine(Directory.CreateTempSubdirectory("metrics-token-").FullName, "token");
        await File.WriteAllTextAsync(tokenFile, MetricsToken);
        var port = AuthTestKit.FreePort();
        _resource = $"http://127.0.0.1:{port}/mcp";
        _gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["hosting"] = new JsonObject { ["base_url"] = $"http://127.0.0.1:{port}" },
            ["auth"] = new JsonObject
            {
                ["mode"] = "jwt",
                ["jwt"] = new JsonObject { ["issuer"] = _idp.Issuer },
            },
            ["telemetry"] = new JsonObject { ["metrics_endpoint"] = true, ["metrics_token"] = "file:" + tokenFile },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        }, port: port, environment: new Dictionary<string, string> { ["FEATURE_METRICS_JSON"] = "1" });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_AfterNToolCalls_CountsNServerOperationsOfToolsCall_OnSeriesNamingTheInstance()
    {
        const int N = 3;
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        using var http = new HttpClient();
        var session = new RawMcpSession(http, _gateway.McpUrl, token);
        await session.InitializeAsync();
        for (var i = 0; i < N; i++)
        {
            await TelemetryKit.CallToolAsync(http, _gateway.McpUrl, session, "alpha__echo", new JsonObject { ["text"] = "n" + i }, bearer: token, id: 10 + i);
        }

        var samples = TelemetryKit.ParsePrometheus(await ScrapeAsync(http, MetricsToken));

        var calls = samples.Where(s => s.Name == "mcp_server_operation_duration_seconds_count"
            && s.Labels.GetValueOrDefault("mcp_method_name") == "tools/call" && s.Labels.GetValueOrDefault("gen_ai_tool_name") == "alpha__echo").ToList();
        Assert.NotEmpty(calls);
        Assert.Equal(N, calls.Sum(s => s.Value));
        var routed = samples.Where(s => s.Name == "master_mcp_backend_operation_duration_seconds_count" && s.Labels.GetValueOrDefault("master_mcp_backend_id") == "alpha"
            && s.Labels.GetValueOrDefault("master_mcp_public_name") == "alpha__echo").ToList();
        Assert.Equal(N, routed.Sum(s => s.Value));
        var instance = _gateway.Services.GetRequiredService<InstanceIdentity>().Id;
        Assert.All(samples, s => Assert.Equal(instance, s.Labels.GetValueOrDefault("service_instance_id")));
    }

    [Fact]
    public async Task Scrape_WithoutTheMetricsToken_Is401_EvenWithAValidAccessToken()
    {
        using var http = new HttpClient();
        using (var anonymous = await http.GetAsync(new Uri(_gateway.BaseUrl, "/metrics")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("telemetry.metrics_token", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var accessToken = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        foreach (var wrong in new[] { accessToken, MetricsToken + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.BaseUrl, "/metrics"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", wrong);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain(MetricsToken, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Scrape_AsJson_WithFeatureMetricsJson_HasTheSameInstrumentsAndTheInstance()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.BaseUrl, "/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", MetricsToken);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(_gateway.Services.GetRequiredService<InstanceIdentity>().Id, body["service_instance_id"]!.GetValue<string>());
        var names = body["metrics"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("master_mcp.sessions.active", names);
        Assert.Contains("master_mcp.backend.up", names);
    }

    private async Task<string> ScrapeAsync(HttpClient http, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.BaseUrl, "/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics answered {(int)response.StatusCode}: {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return text;
    }
}
