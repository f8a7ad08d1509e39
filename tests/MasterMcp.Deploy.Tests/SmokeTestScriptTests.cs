using MasterMcp.Deploy.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Deploy.Tests;

/// <summary>deploy/scripts/smoke-test.sh passes a gateway that behaves and fails one that does not.</summary>
public sealed class SmokeTestScriptTests
{
    [Fact]
    public async Task Passes_WhenHealthIs200_AndMcpChallenges()
    {
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: "s3cret");
        var result = await RunAsync(gateway.Url, "s3cret");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("ok: POST /mcp -> 401", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("resource and authorization_servers present", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("ok: GET /ready -> 200", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("ok: GET /capabilities -> 401 without a token", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fails_WhenReadyIs503()
    {
        // Live but not ready: e.g. storage unreachable or a required backend down. /health alone would pass it.
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: "s3cret", ready: false);
        var result = await RunAsync(gateway.Url, "s3cret");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ok: GET /health -> 200", result.StdOut, StringComparison.Ordinal);
        Assert.Contains($"FAIL: GET {gateway.Url}/ready answered 503, expected 200", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("not_ready", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fails_WhenCapabilitiesIsPublic_OrBroken()
    {
        // Without a token /capabilities must be 401 (or 200 where auth is off); a 500 fails.
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: null, capabilitiesStatus: StatusCodes.Status500InternalServerError);
        var result = await RunAsync(gateway.Url, null);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/capabilities answered 500, expected 200 (or 401 without SMOKE_TOKEN)", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("connected", 0)]
    [InlineData("failed", 1)]
    public async Task WithAToken_ChecksTheBackendsOfCapabilities(string state, int exitCode)
    {
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: null, backendState: state);
        var result = await RunAsync(gateway.Url, null, token: "smoke-token");
        Assert.True(result.ExitCode == exitCode, result.Output);
        if (exitCode == 0)
        {
            Assert.Contains("ok: GET /capabilities -> 200 (no failed backend)", result.StdOut, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("lists a failed backend: \"id\":\"everything\"", result.StdErr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Fails_WhenTheResourceMetadataIsMissing()
    {
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: null, serveMetadata: false);
        var result = await RunAsync(gateway.Url, null);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expected 200", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fails_WhenMcpAnswersWithoutAuthentication()
    {
        await using var gateway = await FakeGateway.StartAsync(challenge: false, requiredSecret: null);
        var result = await RunAsync(gateway.Url, null);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expected 401", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fails_WhenTheOriginSecretIsMissing()
    {
        await using var gateway = await FakeGateway.StartAsync(challenge: true, requiredSecret: "s3cret");
        var result = await RunAsync(gateway.Url, null);
        Assert.Equal(1, result.ExitCode);
    }

    internal static Task<ProcessResult> RunAsync(string url, string? originSecret, string? token = null) =>
        ProcessRunner.RunAsync(Repo.PathOf("deploy/scripts/smoke-test.sh"), [url], environment: new Dictionary<string, string?>
        {
            ["ORIGIN_SECRET"] = originSecret,
            ["SMOKE_TOKEN"] = token,
            ["SMOKE_ATTEMPTS"] = "1",
            ["SMOKE_DELAY_SECONDS"] = "0",
        }, timeout: TimeSpan.FromSeconds(60));

    private sealed class FakeGateway(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public static async Task<FakeGateway> StartAsync(bool challenge, string? requiredSecret, bool serveMetadata = true, bool ready = true,
            int capabilitiesStatus = StatusCodes.Status401Unauthorized, string backendState = "connected")
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapGet("/health", () => Results.Json(new { ok = true }));
            // What the gateway shows anonymous callers: the status only.
            app.MapGet("/ready", (HttpContext context) =>
                requiredSecret is not null && context.Request.Headers["X-Origin-Secret"] != requiredSecret
                    ? Results.StatusCode(StatusCodes.Status403Forbidden)
                    : Results.Json(new { status = ready ? "ready" : "not_ready" }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable));
            app.MapGet("/capabilities", (HttpContext context) =>
                context.Request.Headers.Authorization == "Bearer smoke-token"
                    ? Results.Json(new
                    {
                        server = new { name = "master-mcp", version = "1" },
                        backends = new[] { new { id = "everything", transport = "http", endpoint = "http://backend/mcp", state = backendState, last_error = backendState == "failed" ? "connection refused" : null } },
                    })
                    : Results.StatusCode(capabilitiesStatus));
            if (serveMetadata)
            {
                app.MapGet("/.well-known/oauth-protected-resource/mcp", (HttpContext context) =>
                    requiredSecret is not null && context.Request.Headers["X-Origin-Secret"] != requiredSecret
                        ? Results.StatusCode(StatusCodes.Status403Forbidden)
                        : Results.Json(new { resource = $"http://{context.Request.Host}/mcp", authorization_servers = new[] { "https://login.example.com" } }));
            }
            app.MapPost("/mcp", (HttpContext context) =>
            {
                if (requiredSecret is not null && context.Request.Headers["X-Origin-Secret"] != requiredSecret)
                {
                    return Results.StatusCode(StatusCodes.Status403Forbidden);
                }
                if (!challenge)
                {
                    return Results.Json(new { jsonrpc = "2.0", id = 1, result = new { } });
                }
                context.Response.Headers.WWWAuthenticate = $"Bearer resource_metadata=\"http://{context.Request.Host}/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\"";
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new FakeGateway(app, address);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
