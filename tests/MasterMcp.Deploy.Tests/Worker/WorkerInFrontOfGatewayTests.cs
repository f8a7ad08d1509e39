using System.Diagnostics;
using System.Net;
using System.Text;
using MasterMcp.Deploy.Tests.Infrastructure;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>
/// The Worker in front of the real gateway configured to require the origin secret: requests through the Worker are
/// served, requests that go around it are refused, and /health stays reachable for platform probes.
/// </summary>
public sealed class WorkerInFrontOfGatewayTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;
    private Process? _worker;
    private Uri _gatewayUrl = null!;
    private Uri _workerUrl = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayProcess.StartAsync(
            GatewayProcess.FreePort(),
            ["--storage.provider=memory"],
            new Dictionary<string, string?>
            {
                ["MASTER_ENV"] = "Development",
                ["MASTER__security__origin_secret"] = WorkerFixture.OriginSecret,
            });
        _gatewayUrl = _gateway.Url;
        (_worker, _workerUrl) = await WorkerFixture.StartWorkerAsync(_gatewayUrl.ToString().TrimEnd('/'));
    }

    public async Task DisposeAsync()
    {
        await WorkerFixture.StopWorkerAsync(_worker);
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task ThroughTheWorker_IsServed_AroundIt_IsRefused_ButHealthStaysOpen()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var viaWorker = await http.GetAsync(new Uri(_workerUrl, "/ready"));
        Assert.Equal(HttpStatusCode.OK, viaWorker.StatusCode);

        var direct = await http.GetAsync(new Uri(_gatewayUrl, "/ready"));
        Assert.Equal(HttpStatusCode.Forbidden, direct.StatusCode);
        Assert.Contains("origin_secret_required", await direct.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var mcp = new HttpRequestMessage(HttpMethod.Post, new Uri(_gatewayUrl, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", Encoding.UTF8, "application/json"),
        };
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(mcp)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(_gatewayUrl, "/health"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(_workerUrl, "/health"))).StatusCode);
    }
}
