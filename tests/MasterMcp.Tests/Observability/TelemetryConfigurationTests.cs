using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Observability;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Observability;

/// <summary>Telemetry settings: their validation, what they mean, and /metrics staying off unless asked for.</summary>
public sealed class TelemetryConfigurationTests
{
    [Fact]
    public void MetricsEndpoint_WithAuthOn_AndNoToken_IsRefused_NamingTheKey()
    {
        var options = new GatewayOptions
        {
            Auth = new AuthOptions { Mode = "jwt" },
            Telemetry = new TelemetryOptions { MetricsEndpoint = true },
        };

        var problems = GatewayOptionsValidator.Validate(options).Where(p => p.Path.StartsWith("telemetry", StringComparison.Ordinal)).ToList();

        var problem = Assert.Single(problems);
        Assert.Equal("telemetry.metrics_token", problem.Path);
        Assert.Contains("auth.mode is 'jwt'", problem.Message, StringComparison.Ordinal);
        options.Telemetry.MetricsToken = "kv:metrics-token";
        Assert.DoesNotContain(GatewayOptionsValidator.Validate(options), p => p.Path.StartsWith("telemetry", StringComparison.Ordinal));
        options.Auth = null;
        options.Telemetry.MetricsToken = null;
        Assert.DoesNotContain(GatewayOptionsValidator.Validate(options), p => p.Path.StartsWith("telemetry", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("subject")]
    [InlineData("none")]
    public void UserAttribute_HoldsTheConfiguredForm(string mode)
    {
        var user = new GatewayUser("https://idp.example", "alice", [], "client-1");

        var value = GatewayPipeline.TelemetryUser(user, mode);

        Assert.Equal(mode switch { "hash" => user.Key, "subject" => "alice", _ => null }, value);
        Assert.Null(GatewayPipeline.TelemetryUser(null, mode));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Authorization=AAD", true)]
    [InlineData("ClientId=00000000-0000-0000-0000-000000000001;Authorization=AAD", true)]
    [InlineData("ClientId=00000000-0000-0000-0000-000000000001", false)]
    public void AzureMonitor_SignsInWithEntraId_OnlyWhenTheAuthenticationStringSaysAad(string? authentication, bool credential)
    {
        Assert.Equal(credential, TelemetryServiceCollectionExtensions.AzureMonitorCredential(authentication) is not null);
    }

    [Fact]
    public async Task BadOtlpEndpoint_RefusesToStart_NamingTheVariable()
    {
        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayInstance.StartAsync(new JsonObject(),
            environment: new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4317" }));
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_IsOffByDefault_404()
    {
        await using var gateway = await GatewayInstance.StartAsync(new JsonObject());
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(gateway.BaseUrl, "/metrics"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("telemetry.metrics_endpoint", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
