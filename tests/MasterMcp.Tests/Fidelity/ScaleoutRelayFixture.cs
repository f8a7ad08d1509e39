using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// Three gateway instances sharing Azurite and Redis behind a round-robin balancer without affinity, in front of
/// server-everything over stdio (<c>every</c>: a process per client session, on the session's owner) and over Streamable
/// HTTP (<c>everyhttp</c>), and the C# SampleServer.
/// </summary>
public sealed class ScaleoutRelayFixture : IAsyncLifetime, IRelayTarget
{
    public EverythingHttpProcess EverythingHttp { get; private set; } = null!;

    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayCluster Cluster { get; private set; } = null!;

    public Uri McpUrl => Cluster.McpUrl;

    public Uri BaseUrl => Cluster.BaseUrl;

    public long PendingBackendRequests => Cluster.PendingBackendRequests;

    public long CancelledBackendRequests => Cluster.CancelledBackendRequests;

    public Task<McpClient> ConnectAsync(McpClientOptions? options = null) => Cluster.ConnectAsync(options);

    public async Task InitializeAsync()
    {
        var everything = EverythingHttpProcess.StartAsync();
        var sample = TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        EverythingHttp = await everything;
        Sample = await sample;
        Cluster = await GatewayCluster.StartAsync(Config(EverythingHttp.McpUrl, Sample.McpUrl));
    }

    /// <summary>The same backends as the one-instance relay fixture.</summary>
    public static JsonObject Config(Uri everything, Uri sample) => new()
    {
        ["servers"] = new JsonArray(
            Gateway.AggregationTests.EverythingStdio("every"),
            new JsonObject { ["id"] = "everyhttp", ["url"] = everything.ToString(), ["transport"] = "streamable_http", ["timeout_ms"] = 20000 },
            new JsonObject { ["id"] = "sample", ["url"] = sample.ToString(), ["transport"] = "streamable_http", ["protocol_version"] = "2025-11-25" },
            new JsonObject { ["id"] = "sampleshared", ["url"] = sample.ToString(), ["transport"] = "streamable_http", ["session"] = "shared", ["protocol_version"] = "2025-11-25" }),
    };

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await EverythingHttp.DisposeAsync();
        await Sample.DisposeAsync();
    }
}
