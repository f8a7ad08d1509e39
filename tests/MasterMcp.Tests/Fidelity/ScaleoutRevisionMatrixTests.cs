using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fidelity;

/// <summary>
/// The revision scenarios through three instances behind a round-robin balancer without affinity, plus a stdio backend:
/// a 2026-07-28 client's retry (with <c>requestState</c>) lands on another instance than the pending backend call, and
/// must be carried to it.
/// </summary>
public sealed class ScaleoutRevisionMatrixFixture : IAsyncLifetime, IRevisionTarget
{
    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayCluster Cluster { get; private set; } = null!;

    public Task<McpClient> ConnectAsync(McpClientOptions options) => Cluster.ConnectAsync(options);

    public async Task InitializeAsync()
    {
        Sample = await TestServerProcess.StartAsync("SampleServer", "--name", "matrix");
        var servers = RevisionMatrixFixture.Servers(Sample.McpUrl);
        servers.Add(StdioLifecycleTests.SampleStdio("stdio", "matrix-stdio", name: "matrix"));
        Cluster = await GatewayCluster.StartAsync(new JsonObject { ["servers"] = servers });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Sample.DisposeAsync();
    }
}

/// <summary>The revision scenarios through three instances.</summary>
public sealed class ScaleoutRevisionMatrixTests(ScaleoutRevisionMatrixFixture fixture) : RevisionMatrixScenarios(fixture), IClassFixture<ScaleoutRevisionMatrixFixture>
{
    [Theory]
    [InlineData("2025-11-25")]
    [InlineData("2026-07-28")]
    public async Task StdioBackend_ElicitsThroughAnyInstance(string clientRevision)
    {
        var recorder = new Recorder("m");
        await using var client = await fixture.ConnectAsync(recorder.Options(clientRevision));
        for (var i = 0; i < 3; i++)
        {
            var asked = await client.CallToolAsync("stdio__ask", new Dictionary<string, object?> { ["question"] = "q" + i });
            Assert.Equal("accept:answer from m", AggregationTests.Text(asked));
        }
        Assert.Equal(3, recorder.Elicitations.Count);
    }
}
