using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Scaleout;
using MasterMcp.Tests.Fidelity;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Scaleout;

/// <summary>
/// SIGTERM to the instance that owns a session while one of its calls waits on the client: the call completes, then the
/// session is over (404 from every instance) and the client starts a new one on the others.
/// </summary>
public sealed partial class DrainTests
{
    [Fact]
    public async Task Sigterm_ToTheOwner_DuringACall_LetsTheCallFinish_ThenItsSessionsGet404_AndReinitializeElsewhere()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var redis = await RedisProcess.StartAsync();
        await using var sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        var config = new JsonObject
        {
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = sample.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
            ["scaleout"] = new JsonObject { ["redis"] = redis.ConnectionString },
            ["hosting"] = new JsonObject { ["drain_seconds"] = 20 },
        };
        using var dir = new TempDirectory();
        var configPath = Path.Combine(dir.Path, "gateway.json");
        var port = FreePort.Next();
        var processUrl = new Uri($"http://127.0.0.1:{port}");
        // The process gets Redis the way container platforms pass it: MASTER_REDIS, not the config file.
        var processConfig = (JsonObject)config.DeepClone();
        processConfig.Remove("scaleout");
        await File.WriteAllTextAsync(configPath, processConfig.ToJsonString());
        await using var owner = GatewayProcess.Start(["--config", configPath, "--hosting.host=127.0.0.1", "--hosting.port=" + port.ToString(CultureInfo.InvariantCulture), "--logging.format=plain"],
            new Dictionary<string, string?> { ["MASTER_ENV"] = "Development", ["AzureWebJobsStorage"] = azurite.ConnectionString, ["MASTER_REDIS"] = redis.ConnectionString });
        await owner.WaitUntilHealthyAsync(processUrl);
        await using var a = await GatewayInstance.StartAsync(config, azurite.ConnectionString);
        await using var b = await GatewayInstance.StartAsync(config, azurite.ConnectionString);
        await using var balancer = await RoundRobinBalancer.StartAsync([processUrl, a.BaseUrl, b.BaseUrl]);
        var ownerId = await InstanceIdOfAsync(processUrl);

        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Capabilities = new ClientCapabilities { Elicitation = new ElicitationCapability { Form = new FormElicitationCapability() } },
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = async (_, ct) =>
                {
                    asked.TrySetResult();
                    await release.Task.WaitAsync(ct);
                    return new ElicitResult { Action = "accept", Content = new Dictionary<string, JsonElement> { ["answer"] = JsonSerializer.SerializeToElement("after sigterm") } };
                },
            },
        };
        // Round robin: one of the first three sessions starts on the process we are going to stop.
        var client = await ConnectOwnedByAsync(balancer, options, ownerId);
        try
        {
            var call = client.CallToolAsync("sample__ask", new Dictionary<string, object?> { ["question"] = "still there?" }).AsTask();
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(15));

            await owner.SendSigtermAsync();
            await Wait.Until(() => owner.StdoutLines.Any(l => l.Contains("Draining", StringComparison.Ordinal)));
            Assert.False(owner.HasExited, "the owner exited with a call in flight:\n" + owner.Output);

            // The answer travels through the balancer (to any instance) and the call completes.
            release.SetResult();
            var result = await call.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("accept:after sigterm", AggregationTests.Text(result));

            await owner.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(owner.ExitCode == 0, $"exit code {owner.ExitCode}:\n{owner.Output}");
            balancer.Remove(processUrl);

            // Every remaining instance answers 404 for the stopped owner's session.
            using var http = new HttpClient();
            var raw = new RawMcpSession(http, balancer.McpUrl, token: null);
            for (var i = 0; i < 2; i++)
            {
                using var response = await raw.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "ping" }, client.SessionId);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }
        finally
        {
            await client.DisposeAsync();
        }

        // A new session works, owned by one of the others.
        await using var again = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = balancer.McpUrl, TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" });
        Assert.Contains("sample/echo: hello", AggregationTests.Text(await again.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = "hello" })), StringComparison.Ordinal);
        var others = new[] { a, b }.Select(i => i.Services.GetRequiredService<InstanceIdentity>().Id).ToList();
        Assert.Contains(again.SessionId!.Split('.')[0], others);
    }

    private static async Task<McpClient> ConnectOwnedByAsync(RoundRobinBalancer balancer, McpClientOptions options, string ownerId)
    {
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = balancer.McpUrl, TransportMode = HttpTransportMode.StreamableHttp }), options);
            if (client.SessionId!.StartsWith(ownerId + ".", StringComparison.Ordinal))
            {
                return client;
            }
            await client.DisposeAsync();
        }
        throw new InvalidOperationException($"no session landed on instance {ownerId} in 6 attempts");
    }

    private static async Task<string> InstanceIdOfAsync(Uri baseUrl)
    {
        using var http = new HttpClient();
        var ready = JsonNode.Parse(await http.GetStringAsync(new Uri(baseUrl, "/ready")))!;
        var redis = ready["checks"]!["redis"]!.GetValue<string>();
        return InstancePattern().Match(redis) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("no instance id in /ready: " + redis);
    }

    [GeneratedRegex("instance ([0-9a-f]{12})")]
    private static partial Regex InstancePattern();
}
