using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;

namespace MasterMcp.Tests.Fidelity;

/// <summary>One SampleServer behind the gateway three times, each pinned (<c>protocol_version</c>) to one revision.</summary>
public sealed class RevisionMatrixFixture : IAsyncLifetime
{
    public static readonly string[] Revisions = ["2025-06-18", "2025-11-25", "2026-07-28"];

    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public static string IdOf(string revision) => "v" + revision.Replace("-", "", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        Sample = await TestServerProcess.StartAsync("SampleServer", "--name", "matrix");
        Gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["servers"] = new JsonArray([.. Revisions.Select(r => (JsonNode)new JsonObject
            {
                ["id"] = IdOf(r),
                ["url"] = Sample.McpUrl.ToString(),
                ["transport"] = "streamable_http",
                ["protocol_version"] = r,
            })]),
        });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sample.DisposeAsync();
    }
}

/// <summary>Every (client revision × backend revision) pair completes a tool call; elicitation round trips are proven for the
/// pairs without 2026-07-28 and recorded as not yet working for the others.</summary>
public sealed class RevisionMatrixTests(RevisionMatrixFixture fixture) : IClassFixture<RevisionMatrixFixture>
{
    private const string Modern = "2026-07-28";

    public static TheoryData<string, string> AllPairs() => PairsWhere(_ => true);

    public static TheoryData<string, string> LegacyPairs() => PairsWhere(p => p.Client != Modern && p.Backend != Modern);

    public static TheoryData<string, string> ModernPairs() => PairsWhere(p => p.Client == Modern || p.Backend == Modern);

    [Theory]
    [MemberData(nameof(AllPairs))]
    public async Task ClientRevision_x_BackendRevision_CompletesAToolCall_OnTheBackendsPinnedRevision(string clientRevision, string backendRevision)
    {
        await using var client = await fixture.Gateway.ConnectAsync(new Recorder("m").Options(clientRevision));
        Assert.Equal(clientRevision, client.NegotiatedProtocolVersion);
        var version = await client.CallToolAsync($"{RevisionMatrixFixture.IdOf(backendRevision)}__protocol_version");
        Assert.Equal(backendRevision, AggregationTests.Text(version));
    }

    [Theory]
    [MemberData(nameof(LegacyPairs))]
    public Task ClientRevision_x_BackendRevision_CompletesAnElicitationRoundTrip(string clientRevision, string backendRevision) =>
        ElicitAsync(clientRevision, backendRevision);

    [Theory]
    [MemberData(nameof(ModernPairs))]
    public Task ClientRevision_x_BackendRevision_CompletesAnElicitationRoundTrip_With2026(string clientRevision, string backendRevision) =>
        ElicitAsync(clientRevision, backendRevision);

    private async Task ElicitAsync(string clientRevision, string backendRevision)
    {
        var recorder = new Recorder("m");
        await using var client = await fixture.Gateway.ConnectAsync(recorder.Options(clientRevision));
        var asked = await client.CallToolAsync($"{RevisionMatrixFixture.IdOf(backendRevision)}__ask", new Dictionary<string, object?> { ["question"] = "q" });
        Assert.Equal("accept:answer from m", AggregationTests.Text(asked));
        Assert.Single(recorder.Elicitations);
    }

    private static TheoryData<string, string> PairsWhere(Func<(string Client, string Backend), bool> predicate)
    {
        var data = new TheoryData<string, string>();
        foreach (var client in RevisionMatrixFixture.Revisions)
        {
            foreach (var backend in RevisionMatrixFixture.Revisions)
            {
                if (predicate((client, backend)))
                {
                    data.Add(client, backend);
                }
            }
        }
        return data;
    }
}
