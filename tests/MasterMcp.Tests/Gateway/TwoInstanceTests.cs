using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Gateway;

/// <summary>Two gateway instances sharing Table Storage behave like one for request/response traffic.</summary>
[Collection("azurite")]
public sealed class TwoInstanceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SessionInitializedOnOneInstance_ContinuesWithListAndCall_OnTheOther()
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var config = new JsonObject
        {
            ["storage"] = new JsonObject { ["table_prefix"] = "t" + Guid.NewGuid().ToString("N")[..12] },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString() }),
        };
        await using var first = await GatewayInstance.StartAsync((JsonObject)config.DeepClone(), azurite.ConnectionString);
        await using var second = await GatewayInstance.StartAsync((JsonObject)config.DeepClone(), azurite.ConnectionString);

        // The client's requests go to the first instance until the switch, then to the second (as a balancer might do).
        var router = new SwitchingHandler(first.BaseUrl, second.BaseUrl);
        using var http = new HttpClient(router);
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = first.McpUrl, TransportMode = HttpTransportMode.StreamableHttp }, http);
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });
        Assert.False(string.IsNullOrEmpty(client.SessionId));
        Assert.Contains("alpha__echo", (await client.ListToolsAsync()).Select(t => t.Name));

        router.SwitchToSecond = true;
        var tools = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Contains("alpha__echo", tools);
        var echo = await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "moved" });
        Assert.Equal("alpha/echo: moved", AggregationTests.Text(echo));
        Assert.True(router.SecondCount >= 2, "requests after the switch must reach the second instance");
    }

    private sealed class SwitchingHandler(Uri first, Uri second) : DelegatingHandler(new SocketsHttpHandler())
    {
        public volatile bool SwitchToSecond;
        public int SecondCount;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (SwitchToSecond && request.RequestUri!.Port == first.Port)
            {
                request.RequestUri = new UriBuilder(request.RequestUri) { Port = second.Port }.Uri;
                Interlocked.Increment(ref SecondCount);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
