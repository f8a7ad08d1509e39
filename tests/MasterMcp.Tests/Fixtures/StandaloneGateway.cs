using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Fixtures;

/// <summary>The built gateway (MasterMcp.Functions.dll) as a separate process on a free loopback port, standalone on Kestrel.</summary>
public sealed class StandaloneGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StandaloneGateway(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public Uri McpUrl => new(BaseUrl, "/mcp");

    public int ProcessId => _process.Id;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>The built gateway assembly of this test build's configuration.</summary>
    public static string Assembly()
    {
        var configuration = typeof(StandaloneGateway).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepoPaths.Root, "src", "Functions", "bin", configuration, "net10.0", "MasterMcp.Functions.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built");
    }

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the gateway with this config file content (Development, in-memory storage unless the config says otherwise).</summary>
    public static async Task<StandaloneGateway> StartAsync(JsonObject config, IDictionary<string, string>? environment = null)
    {
        config["storage"] ??= new JsonObject { ["provider"] = "memory" };
        var dir = Directory.CreateTempSubdirectory("standalone-gateway-");
        var path = Path.Combine(dir.FullName, "gateway.json");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Assembly(), "--config", path, "--hosting.host=127.0.0.1", $"--hosting.port={port}" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["MASTER_ENV"] = "Development";
        start.Environment["LOG_FORMAT"] = "plain";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        var process = new Process { StartInfo = start };
        var gateway = new StandaloneGateway(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"gateway exited with {process.ExitCode}:\n{gateway.Output}");
            }
            try
            {
                if ((await http.GetAsync(new Uri(gateway.BaseUrl, "/health"))).IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(200);
        }
        await gateway.DisposeAsync();
        throw new TimeoutException($"gateway did not become healthy:\n{gateway.Output}");
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
