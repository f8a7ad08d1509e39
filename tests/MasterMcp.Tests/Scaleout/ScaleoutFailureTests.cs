using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Scaleout;

/// <summary>What a client sees when the instance holding its session dies, or when Redis stops and comes back.</summary>
public sealed class ScaleoutFailureTests
{
    [Fact]
    public async Task OwnerKilled_DuringAForwardedCall_TheCallFailsClearly_TheSessionIs404_AndNothingIsLeftBehind()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var redis = await RedisProcess.StartAsync();
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        var config = Config(sample, redis);
        using var dir = new TempDirectory();
        var configPath = Path.Combine(dir.Path, "gateway.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        var port = FreePort.Next();
        var ownerUrl = new Uri($"http://127.0.0.1:{port}");
        await using var owner = GatewayProcess.Start(["--config", configPath, "--hosting.host=127.0.0.1", "--hosting.port=" + port.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string?> { ["MASTER_ENV"] = "Development", ["AzureWebJobsStorage"] = azurite.ConnectionString, ["TOKEN_ENC_KEY"] = GatewayCluster.SharedTokenKey });
        await owner.WaitUntilHealthyAsync(ownerUrl);
        await using var other = await GatewayInstance.StartAsync(config, azurite.ConnectionString, environment: new Dictionary<string, string> { ["TOKEN_ENC_KEY"] = GatewayCluster.SharedTokenKey });
        var tunnel = other.Services.GetRequiredService<SessionTunnel>();

        // The session begins on the owner; everything after initialize reaches the other instance, which forwards it.
        await using var client = await ConnectAsync(new Uri(ownerUrl, "/mcp"), other.McpUrl);
        var call = client.CallToolAsync("sample__wait_for_cancel", new Dictionary<string, object?> { ["tag"] = Guid.NewGuid().ToString("N") }).AsTask();
        await Wait.Until(() => tunnel.ForwardingCount >= 2); // the GET stream and the call

        owner.Kill();
        // The tool would answer after 60 s; the call must fail long before, with a message that says what happened.
        var error = await Assert.ThrowsAnyAsync<McpException>(() => call.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("stopped before answering", error.Message, StringComparison.Ordinal);

        using var http = new HttpClient();
        var raw = new RawMcpSession(http, other.McpUrl, token: null);
        using (var next = await raw.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 9, ["method"] = "ping" }, client.SessionId))
        {
            Assert.Equal(HttpStatusCode.NotFound, next.StatusCode);
        }
        await Wait.Until(() => tunnel.ForwardingCount == 0);
        Assert.Equal(0, other.Services.GetRequiredService<DownstreamSessions>().Count);
    }

    [Fact]
    public async Task RedisStopped_LocalSessionsGoOn_ForwardedCallsFailFastAndClearly_AndAllRecoversWithoutARestart()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        var redis = await RedisProcess.StartAsync();
        try
        {
            await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
            var config = Config(sample, redis);
            var environment = new Dictionary<string, string> { ["TOKEN_ENC_KEY"] = GatewayCluster.SharedTokenKey };
            await using var a = await GatewayInstance.StartAsync(config, azurite.ConnectionString, environment: environment);
            await using var b = await GatewayInstance.StartAsync(config, azurite.ConnectionString, environment: environment);
            await using var local = await ConnectAsync(a.McpUrl, a.McpUrl);
            await using var remote = await ConnectAsync(a.McpUrl, b.McpUrl);
            await EchoAsync(local, "before");
            await EchoAsync(remote, "before");

            var port = redis.Port;
            await redis.DisposeAsync();
            for (var i = 0; i < 3; i++)
            {
                await EchoAsync(local, "during " + i);
            }
            var error = await Assert.ThrowsAnyAsync<McpException>(() => remote.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = "x" }).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("Redis", error.Message, StringComparison.Ordinal);
            using (var http = new HttpClient())
            {
                using var ready = await http.GetAsync(new Uri(b.BaseUrl, "/ready"));
                var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
                Assert.StartsWith("unavailable", body["checks"]!["redis"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            redis = await RedisProcess.StartAsync(port);
            await Wait.Until(async () =>
            {
                try
                {
                    await EchoAsync(remote, "after");
                    return true;
                }
                catch (McpException)
                {
                    return false;
                }
            });
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private static JsonObject Config(TestServerProcess sample, RedisProcess redis) => new()
    {
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = sample.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
        ["scaleout"] = new JsonObject { ["redis"] = redis.ConnectionString, ["owner_check_seconds"] = 1 },
    };

    private static async Task EchoAsync(McpClient client, string text) =>
        Assert.Contains(text, AggregationTests.Text(await client.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = text })), StringComparison.Ordinal);

    /// <summary>A 2025-11-25 client whose session begins at <paramref name="start"/> and whose every later request goes to <paramref name="then"/>.</summary>
    private static Task<McpClient> ConnectAsync(Uri start, Uri then) =>
        McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = start, TransportMode = HttpTransportMode.StreamableHttp }, new HttpClient(new SessionRequestsTo(then) { InnerHandler = new HttpClientHandler() }), ownsHttpClient: true),
            new McpClientOptions { ProtocolVersion = "2025-11-25" });

    private sealed class SessionRequestsTo(Uri target) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Contains("Mcp-Session-Id"))
            {
                request.RequestUri = target;
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
