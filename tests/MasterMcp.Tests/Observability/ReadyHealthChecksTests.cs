using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MasterMcp.Tests.Observability;

/// <summary>/ready is Microsoft.Extensions.Diagnostics.HealthChecks behind the old body: every registered check shows with its description; Unhealthy is 503, Degraded stays 200.</summary>
public sealed class ReadyHealthChecksTests
{
    [Theory]
    [InlineData(HealthStatus.Healthy, HttpStatusCode.OK, "ready")]
    [InlineData(HealthStatus.Degraded, HttpStatusCode.OK, "ready")]
    [InlineData(HealthStatus.Unhealthy, HttpStatusCode.ServiceUnavailable, "not_ready")]
    public async Task Ready_ReportsEveryHealthCheck_AndOnlyUnhealthyMakesItNotReady(HealthStatus status, HttpStatusCode expected, string word)
    {
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject(), configureServices: services =>
            services.AddHealthChecks().AddCheck("probe", () => new HealthCheckResult(status, "probe says " + status)));
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(gateway.BaseUrl, "/ready"));

        Assert.Equal(expected, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(word, body["status"]!.GetValue<string>());
        var checks = body["checks"]!.AsObject();
        Assert.Equal("probe says " + status, checks["probe"]!.GetValue<string>());
        // The gateway's own checks are there too, after config, in the order the old readiness checks had.
        Assert.Equal(["config", "scaleout", "backends", "storage", "probe"], checks.Select(c => c.Key).ToArray());
        Assert.Equal("ok", checks["storage"]!.GetValue<string>());
    }
}
