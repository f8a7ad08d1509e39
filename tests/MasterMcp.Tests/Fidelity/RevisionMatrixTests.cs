using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using ModelContextProtocol.Client;

namespace MasterMcp.Tests.Fidelity;

/// <summary>One SampleServer behind the gateway three times, each pinned (<c>protocol_version</c>) to one revision.</summary>
public sealed class RevisionMatrixFixture : IAsyncLifetime, IRevisionTarget
{
    public static readonly string[] Revisions = ["2025-06-18", "2025-11-25", "2026-07-28"];

    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public static string IdOf(string revision) => "v" + revision.Replace("-", "", StringComparison.Ordinal);

    /// <summary>The backends: the SampleServer over HTTP, once per revision.</summary>
    public static JsonArray Servers(Uri sample) => new([.. Revisions.Select(r => (JsonNode)new JsonObject
    {
        ["id"] = IdOf(r),
        ["url"] = sample.ToString(),
        ["transport"] = "streamable_http",
        ["protocol_version"] = r,
    })]);

    public Task<McpClient> ConnectAsync(McpClientOptions options) => Gateway.ConnectAsync(options);

    public async Task InitializeAsync()
    {
        Sample = await TestServerProcess.StartAsync("SampleServer", "--name", "matrix");
        Gateway = await GatewayInstance.StartAsync(new JsonObject { ["servers"] = Servers(Sample.McpUrl) });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sample.DisposeAsync();
    }
}

/// <summary>What the revision scenarios talk to: one gateway, or several behind a balancer.</summary>
public interface IRevisionTarget
{
    /// <summary>Connects the official C# SDK client.</summary>
    Task<McpClient> ConnectAsync(McpClientOptions options);
}

/// <summary>The revision scenarios against one gateway.</summary>
public sealed class RevisionMatrixTests(RevisionMatrixFixture fixture) : RevisionMatrixScenarios(fixture), IClassFixture<RevisionMatrixFixture>;

/// <summary>
/// Every (client revision × backend revision) pair completes a tool call and an elicitation round trip — for 2026-07-28
/// clients through <c>InputRequiredResult</c> and a retry carrying <c>requestState</c>.
/// </summary>
public abstract class RevisionMatrixScenarios(IRevisionTarget fixture)
{
    private const string Modern = "2026-07-28";

    public static TheoryData<string, string> AllPairs() => PairsWhere(_ => true);

    public static TheoryData<string, string> LegacyPairs() => PairsWhere(p => p.Client != Modern && p.Backend != Modern);

    public static TheoryData<string, string> ModernPairs() => PairsWhere(p => p.Client == Modern || p.Backend == Modern);

    [Theory]
    [MemberData(nameof(AllPairs))]
    public async Task ClientRevision_x_BackendRevision_CompletesAToolCall_OnTheBackendsPinnedRevision(string clientRevision, string backendRevision)
    {
        await using var client = await fixture.ConnectAsync(new Recorder("m").Options(clientRevision));
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
        await using var client = await fixture.ConnectAsync(recorder.Options(clientRevision));
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
