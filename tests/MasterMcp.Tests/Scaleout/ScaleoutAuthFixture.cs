using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Scaleout;

/// <summary>Three instances in jwt mode (tokens from oidc-provider) behind the balancer, in front of the C# SampleServer.</summary>
public sealed class ScaleoutAuthFixture : IAsyncLifetime
{
    public OidcProviderProcess Idp { get; private set; } = null!;

    public TestServerProcess Sample { get; private set; } = null!;

    public GatewayCluster Cluster { get; private set; } = null!;

    /// <summary>The resource (audience) tokens are issued for.</summary>
    public string Resource => Cluster.McpUrl.ToString();

    public async Task InitializeAsync()
    {
        Idp = await OidcProviderProcess.StartAsync();
        Sample = await TestServerProcess.StartAsync("SampleServer", "--name", "sample");
        Cluster = await GatewayCluster.StartAsync(publicUrl => new JsonObject
        {
            ["hosting"] = new JsonObject { ["base_url"] = publicUrl.ToString().TrimEnd('/') },
            ["auth"] = new JsonObject { ["mode"] = "jwt", ["jwt"] = new JsonObject { ["issuer"] = Idp.Issuer } },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = Sample.McpUrl.ToString(), ["protocol_version"] = "2025-11-25" }),
        });
    }

    /// <summary>A token of one user (the m2m client).</summary>
    public Task<string> AliceTokenAsync() => Idp.ClientCredentialsTokenAsync(Resource, "mcp");

    /// <summary>A token of another user (the short-lived client: valid 2 s, so fetch it right before use).</summary>
    public Task<string> MalloryTokenAsync() => Idp.ClientCredentialsTokenAsync(Resource, "mcp", "short-lived", "short-secret");

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Sample.DisposeAsync();
        await Idp.DisposeAsync();
    }
}
