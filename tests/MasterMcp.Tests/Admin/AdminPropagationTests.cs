using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// A runtime change made on one instance is in force on another: two gateway instances sharing Table Storage (Azurite) —
/// through the Redis backplane at once, and without Redis within admin.refresh_seconds (the periodic re-read). A reconnect,
/// an action rather than a stored change, reaches the other instances through the backplane.
/// </summary>
[Collection("azurite")]
public sealed class AdminPropagationTests(AzuriteFixture azurite, AdminBed bed) : IClassFixture<AdminBed>
{
    [Fact]
    public async Task DisableOnInstanceA_LeavesInstanceBsLists_AndBsClientGetsListChanged_ThroughRedis_EnableRestores()
    {
        await using var cluster = await StartWithoutPeriodicRefreshAsync();
        var (a, b) = (cluster.Instances[0], cluster.Instances[1]);
        var token = await bed.AdminTokenAsync(cluster.McpUrl);
        var (client, changes) = await AdminBed.ConnectAsync(b.McpUrl, token);
        await using var session = client;
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));
        var before = changes.Count;

        var (status, _) = await AdminBed.CallAsync(a.BaseUrl, HttpMethod.Post, "backends/beta/disable", token);
        Assert.Equal(HttpStatusCode.OK, status);

        await Wait.Until(() => changes.Count > before, "the client connected to instance B gets tools/list_changed", TimeSpan.FromSeconds(20));
        await Wait.Until(async () => !(await AdminBed.ToolsAsync(client)).Contains("beta__echo"), "instance B's list loses beta", TimeSpan.FromSeconds(20));
        Assert.Contains("alpha__echo", await AdminBed.ToolsAsync(client));
        var (_, onB) = await AdminBed.CallAsync(b.BaseUrl, HttpMethod.Get, "backends", token);
        Assert.Equal("disabled", (string?)onB!["backends"]!.AsArray().Single(x => (string?)x!["id"] == "beta")!["state"]);

        // Sessions of both instances are counted (each reports through Redis at start).
        var (_, sessions) = await AdminBed.CallAsync(a.BaseUrl, HttpMethod.Get, "sessions", token);
        Assert.Equal("redis", (string?)sessions!["source"]);
        Assert.Equal(2, sessions["instances"]!.AsArray().Count);

        var afterDisable = changes.Count;
        (status, _) = await AdminBed.CallAsync(a.BaseUrl, HttpMethod.Post, "backends/beta/enable", token);
        Assert.Equal(HttpStatusCode.OK, status);
        await Wait.Until(() => changes.Count > afterDisable, "list_changed again on B", TimeSpan.FromSeconds(20));
        await Wait.Until(async () => (await AdminBed.ToolsAsync(client)).Contains("beta__echo"), "beta is back on B", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ReconnectOnInstanceA_ReopensInstanceBsSharedSession_ThroughRedis()
    {
        await using var cluster = await StartWithoutPeriodicRefreshAsync();
        var (a, b) = (cluster.Instances[0], cluster.Instances[1]);
        var token = await bed.AdminTokenAsync(cluster.McpUrl);
        var (client, changes) = await AdminBed.ConnectAsync(b.McpUrl, token);
        await using var session = client;
        // B lists beta through its shared session (this client declares no capabilities a backend could use).
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));
        var registryB = b.Services.GetRequiredService<BackendRegistry>();
        var beta = registryB.Find("beta")!;
        var sharedBefore = registryB.Shared(beta);
        var changesBefore = changes.Count;

        var (status, answer) = await AdminBed.CallAsync(a.BaseUrl, HttpMethod.Post, "backends/beta/reconnect", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("all", (string?)answer!["instances"]);

        await Wait.Until(() => !ReferenceEquals(registryB.Shared(beta), sharedBefore), "instance B closes its shared session of beta", TimeSpan.FromSeconds(20));
        await Wait.Until(() => changes.Count > changesBefore, "B's client is told its lists changed", TimeSpan.FromSeconds(20));
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));
    }

    /// <summary>Two instances sharing Redis, with a refresh period far beyond any wait: only the backplane can carry a change in time.</summary>
    private Task<GatewayCluster> StartWithoutPeriodicRefreshAsync() => GatewayCluster.StartAsync(publicUrl =>
    {
        var config = bed.Config(publicUrl);
        config["admin"]!["refresh_seconds"] = 300;
        return config;
    }, count: 2);

    [Fact]
    public async Task WithoutRedis_AChangeReachesTheOtherInstance_WithinRefreshSeconds()
    {
        var prefix = "p" + Guid.NewGuid().ToString("N")[..12];
        JsonObject Config(int port)
        {
            var config = bed.Config(new Uri($"http://127.0.0.1:{port}"));
            config["storage"] = new JsonObject { ["table_prefix"] = prefix };
            return config;
        }
        var portA = FreePort.Next();
        var portB = FreePort.Next();
        await using var a = await GatewayInstance.StartAsync(Config(portA), azurite.ConnectionString, port: portA);
        await using var b = await GatewayInstance.StartAsync(Config(portB), azurite.ConnectionString, port: portB);
        var tokenA = await bed.AdminTokenAsync(a.McpUrl);
        var tokenB = await bed.AdminTokenAsync(b.McpUrl);
        var (client, changes) = await AdminBed.ConnectAsync(b.McpUrl, tokenB);
        await using var session = client;
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));

        var (status, _) = await AdminBed.CallAsync(a.BaseUrl, HttpMethod.Post, "backends/beta/disable", tokenA);
        Assert.Equal(HttpStatusCode.OK, status);

        // admin.refresh_seconds is 2 in this bed: B re-reads the table and applies it (the bound without a backplane).
        await Wait.Until(async () => !(await AdminBed.ToolsAsync(client)).Contains("beta__echo"), "B's list loses beta by its periodic re-read", TimeSpan.FromSeconds(20));
        await Wait.Until(() => changes.Count > 0, "B's client gets list_changed", TimeSpan.FromSeconds(20));
    }
}
