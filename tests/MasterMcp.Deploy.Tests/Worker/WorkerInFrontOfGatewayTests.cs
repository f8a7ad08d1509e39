using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>
/// The Worker in front of the real gateway configured to require the origin secret: requests through the Worker are
/// served, requests that go around it are refused, and /health stays reachable for platform probes.
/// </summary>
public sealed class WorkerInFrontOfGatewayTests : IAsyncLifetime
{
    private Process _gateway = null!;
    private Process? _worker;
    private Uri _gatewayUrl = null!;
    private Uri _workerUrl = null!;
    private readonly StringBuilder _gatewayOutput = new();

    public async Task InitializeAsync()
    {
        var dll = new[] { "Release", "Debug" }
            .Select(c => Repo.PathOf($"src/Functions/bin/{c}/net10.0/MasterMcp.Functions.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(dll is not null, "MasterMcp.Functions.dll not built: build the solution first.");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll!, "--hosting.host=127.0.0.1", $"--hosting.port={port}", "--storage.provider=memory" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["MASTER_ENV"] = "Development";
        start.Environment["MASTER__security__origin_secret"] = WorkerFixture.OriginSecret;
        _gateway = Process.Start(start)!;
        _gateway.OutputDataReceived += (_, e) => { lock (_gatewayOutput) { _gatewayOutput.AppendLine(e.Data); } };
        _gateway.ErrorDataReceived += (_, e) => { lock (_gatewayOutput) { _gatewayOutput.AppendLine(e.Data); } };
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();
        _gatewayUrl = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if ((await http.GetAsync(new Uri(_gatewayUrl, "/health"))).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Assert.True(DateTime.UtcNow < deadline && !_gateway.HasExited, "gateway did not start:\n" + _gatewayOutput);
            }
            await Task.Delay(200);
        }
        (_worker, _workerUrl) = await WorkerFixture.StartWorkerAsync(_gatewayUrl.ToString().TrimEnd('/'));
    }

    public async Task DisposeAsync()
    {
        await WorkerFixture.StopWorkerAsync(_worker);
        _gateway.Kill(entireProcessTree: true);
        await _gateway.WaitForExitAsync();
        _gateway.Dispose();
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
