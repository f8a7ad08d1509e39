using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Scaleout;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MasterMcp.Tests.Observability;

/// <summary>
/// GET /metrics with auth on (jwt mode, a real oidc-provider): the Prometheus scrape counts the tool calls made through the
/// gateway (the MCP SDK's server operation duration), names the instance on every series, and needs
/// telemetry.metrics_token (a file: secret reference here) — an OAuth access token is not it.
/// </summary>
public sealed partial class MetricsEndpointTests : IAsyncLifetime
{
    private const string MetricsToken = "scrape-3f9c1d2e";
    private OidcProviderProcess _idp = null!;
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;
    private string _resource = "";
    private readonly List<Activity> _spans = [];
    private readonly List<MetricSnapshot> _metrics = [];

    public async Task InitializeAsync()
    {
        _idp = await OidcProviderProcess.StartAsync();
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "metered");
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
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "metered", ["url"] = _backend.McpUrl.ToString() }),
        }, port: port, environment: new Dictionary<string, string> { ["FEATURE_METRICS_JSON"] = "1" }, configureServices: services => services
            .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans))
            .ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics)));
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
            await TelemetryKit.CallToolAsync(http, _gateway.McpUrl, session, "metered__echo", new JsonObject { ["text"] = "n" + i }, bearer: token, id: 10 + i);
        }

        // The SDK records a call's duration when its server span ends, just after the answer has gone: scrape until the
        // last call is in (the count must then be exactly N, not more).
        var samples = await Wait.For(async () => TelemetryKit.ParsePrometheus(await ScrapeAsync(http, MetricsToken)),
            scraped => scraped.Where(s => s.Name == "mcp_server_operation_duration_seconds_count" && s.Labels.GetValueOrDefault("gen_ai_tool_name") == "metered__echo").Sum(s => s.Value) >= N
                && scraped.Where(s => s.Name == "master_mcp_backend_operation_duration_seconds_count" && s.Labels.GetValueOrDefault("master_mcp_backend_id") == "metered").Sum(s => s.Value) >= N,
            "N tools/call durations in the scrape");

        var calls = samples.Where(s => s.Name == "mcp_server_operation_duration_seconds_count"
            && s.Labels.GetValueOrDefault("mcp_method_name") == "tools/call" && s.Labels.GetValueOrDefault("gen_ai_tool_name") == "metered__echo").ToList();
        Assert.NotEmpty(calls);
        Assert.Equal(N, calls.Sum(s => s.Value));
        var routed = samples.Where(s => s.Name == "master_mcp_backend_operation_duration_seconds_count" && s.Labels.GetValueOrDefault("master_mcp_backend_id") == "metered"
            && s.Labels.GetValueOrDefault("master_mcp_public_name") == "metered__echo").ToList();
        Assert.Equal(N, routed.Sum(s => s.Value));
        var instance = _gateway.Services.GetRequiredService<InstanceIdentity>().Id;
        Assert.All(samples, s => Assert.Equal(instance, s.Labels.GetValueOrDefault("service_instance_id")));

        // The request's user is on the SDK's server spans as telemetry.user_attribute says (hash by default), never as a label.
        var subject = JsonNode.Parse(Convert.FromBase64String(Pad(token.Split('.')[1])))!["sub"]!.GetValue<string>();
        var key = new MasterMcp.Auth.GatewayUser(_idp.Issuer, subject, [], null).Key;
        await Wait.Until(() =>
        {
            Assert.True(_gateway.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            lock (_spans)
            {
                return _spans.Count(s => s.Source.Name == MasterMcp.Observability.GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Server
                    && s.DisplayName.StartsWith("tools/call", StringComparison.Ordinal)) >= N;
            }
        }, "the SDK's server spans of the N calls");
        lock (_spans)
        {
            Assert.Contains(_spans, s => s.Source.Name == MasterMcp.Observability.GatewayTelemetry.McpSourceName && s.Kind == ActivityKind.Server
                && (string?)s.GetTagItem("enduser.id") == key);
            Assert.DoesNotContain(_spans, s => (string?)s.GetTagItem("enduser.id") == subject);
        }
        Assert.DoesNotContain(samples, s => s.Labels.Values.Contains(key) || s.Labels.Values.Contains(subject));
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

    [Fact]
    public async Task DashboardsAndAlerts_UseOnlyMetricsAndAttributesTheGatewayEmits()
    {
        // Traffic of every kind the dashboards show: calls, a tool error, a JSON-RPC error, a refused request, a session.
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        using var http = new HttpClient();
        var session = new RawMcpSession(http, _gateway.McpUrl, token);
        await session.InitializeAsync();
        await TelemetryKit.CallToolAsync(http, _gateway.McpUrl, session, "metered__echo", new JsonObject { ["text"] = "x" }, bearer: token, id: 20);
        await TelemetryKit.CallToolAsync(http, _gateway.McpUrl, session, "metered__fail", new JsonObject(), bearer: token, id: 21);
        using (var unauthenticated = await http.PostAsync(_gateway.McpUrl, new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        }
        var scrape = TelemetryKit.ParsePrometheus(await ScrapeAsync(http, MetricsToken));
        Assert.True(_gateway.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        // The pull readers (Prometheus, JSON) answer false to a flush; the in-memory exporter still receives its batch.
        _gateway.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000);
        Assert.NotEmpty(_metrics);

        var metricNames = _metrics.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var attributes = new HashSet<string>(StringComparer.Ordinal);
        lock (_spans)
        {
            attributes.UnionWith(_spans.SelectMany(s => s.TagObjects.Select(t => t.Key)));
        }
        foreach (var metric in _metrics)
        {
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                {
                    attributes.Add(tag.Key);
                }
            }
        }

        // Azure Monitor: the workbook's and the alert rules' KQL (customMetrics names, customDimensions keys).
        var workbook = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "monitoring", "gateway-workbook.json")))!;
        var kql = workbook["items"]!.AsArray().Select(i => i!["content"]?["query"]?.GetValue<string>()).OfType<string>().ToList();
        Assert.True(kql.Count >= 6, "the workbook has fewer queries than panels");
        kql.Add(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "modules", "dashboards.bicep")).Replace("\\'", "'", StringComparison.Ordinal));
        var kqlMetrics = kql.SelectMany(q => KqlMetricName().Matches(q).Select(m => m.Groups[1].Value)).Distinct().ToList();
        var kqlAttributes = kql.SelectMany(q => KqlDimension().Matches(q).Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.Contains("master_mcp.backend.up", kqlMetrics);
        Assert.Contains("error.type", kqlAttributes);
        Assert.All(kqlMetrics, name => Assert.Contains(name, metricNames));
        Assert.All(kqlAttributes, name => Assert.Contains(name, attributes));

        // Grafana: every metric and label its PromQL uses is in a real scrape.
        var grafana = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "grafana", "master-mcp-dashboard.json")))!;
        var targets = grafana["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).ToList();
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var expr = target!["expr"]!.GetValue<string>();
            labels.UnionWith(PromGrouping().Matches(expr).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            labels.UnionWith(PromMatcher().Matches(expr).Select(m => m.Groups[1].Value));
            labels.UnionWith(LegendLabel().Matches(target["legendFormat"]?.GetValue<string>() ?? "").Select(m => m.Groups[1].Value));
            var bare = PromMatcherBlock().Replace(PromGrouping().Replace(expr, ""), "");
            series.UnionWith(PromMetric().Matches(bare).Select(m => m.Value));
        }
        labels.Remove("le");
        Assert.Contains("mcp_server_operation_duration_seconds_bucket", series);
        Assert.Contains("master_mcp_auth_failures_total", series);
        var scraped = scrape.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var scrapedLabels = scrape.SelectMany(s => s.Labels.Keys).ToHashSet(StringComparer.Ordinal);
        Assert.All(series, name => Assert.Contains(name, scraped));
        Assert.All(labels, name => Assert.Contains(name, scrapedLabels));
    }

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=');
    }

    [GeneratedRegex(@"name == '([^']+)'")]
    private static partial Regex KqlMetricName();

    [GeneratedRegex(@"customDimensions\['([^']+)'\]")]
    private static partial Regex KqlDimension();

    [GeneratedRegex(@"\b(?:by|without)\s*\(([^)]*)\)")]
    private static partial Regex PromGrouping();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PromMatcherBlock();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*""")]
    private static partial Regex PromMatcher();

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")]
    private static partial Regex LegendLabel();

    [GeneratedRegex(@"\b(?:mcp|master_mcp)_[a-z0-9_]+")]
    private static partial Regex PromMetric();

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
