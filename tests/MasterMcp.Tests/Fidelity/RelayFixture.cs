using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// One gateway for the relay tests, in front of server-everything twice (stdio as <c>every</c>, Streamable HTTP as
/// <c>everyhttp</c>) and the C# SampleServer (<c>sample</c>), which reports from the backend's side what reached it.
/// The gateway keeps its state in Table Storage on its own Azurite, as in production (not the in-memory store).
/// </summary>
public sealed class RelayFixture : IAsyncLifetime, IRelayTarget
{
    public AzuriteFixture Azurite { get; private set; } = null!;

    public EverythingHttpProcess EverythingHttp { get; private set; } = null!;

    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public Uri McpUrl => Gateway.McpUrl;

    public Uri BaseUrl => Gateway.BaseUrl;

    public long PendingBackendRequests => Gateway.Services.GetRequiredService<BackendRequestTracker>().Pending;

    public long CancelledBackendRequests => Gateway.Services.GetRequiredService<BackendRequestTracker>().Cancelled;

    public Task<McpClient> ConnectAsync(McpClientOptions? options = null) => Gateway.ConnectAsync(options);

    public async Task InitializeAsync()
    {
        var azurite = AzuriteFixture.StartNewAsync();
        var everything = EverythingHttpProcess.StartAsync();
        var sample = TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        Azurite = await azurite;
        EverythingHttp = await everything;
        Sample = await sample;
        Gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray(
                AggregationTests.EverythingStdio("every"),
                new JsonObject { ["id"] = "everyhttp", ["url"] = EverythingHttp.McpUrl.ToString(), ["transport"] = "streamable_http", ["timeout_ms"] = 20000 },
                new JsonObject { ["id"] = "sample", ["url"] = Sample.McpUrl.ToString(), ["transport"] = "streamable_http", ["protocol_version"] = "2025-11-25" },
                new JsonObject { ["id"] = "sampleshared", ["url"] = Sample.McpUrl.ToString(), ["transport"] = "streamable_http", ["session"] = "shared", ["protocol_version"] = "2025-11-25" }),
        }, Azurite.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await EverythingHttp.DisposeAsync();
        await Sample.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}
