using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Deploy.Tests.Infrastructure;

/// <summary>The built gateway (standalone Kestrel host of MasterMcp.Functions.dll) as a child process on a loopback port.</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The newest build of the gateway (Release or Debug).</summary>
    public static string Dll()
    {
        var dll = new[] { "Release", "Debug" }
            .Select(c => Repo.PathOf($"src/Functions/bin/{c}/net10.0/MasterMcp.Functions.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
        Assert.True(dll is not null, "MasterMcp.Functions.dll not built: build the solution first (dotnet build MasterMcp.sln).");
        return dll!;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts the gateway with <paramref name="arguments"/> (plus host and port) and waits until /health answers.</summary>
    public static async Task<GatewayProcess> StartAsync(int port, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Dll(), "--hosting.host=127.0.0.1", $"--hosting.port={port}" }.Concat(arguments))
        {
            start.ArgumentList.Add(arg);
        }
        // Nothing from the test runner's environment decides the gateway's configuration.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MASTER", StringComparison.Ordinal) || k.StartsWith("AzureWebJobs", StringComparison.Ordinal) || k is "TOKEN_ENC_KEY" or "PORT" or "BASE_URL").ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var gateway = new GatewayProcess(Process.Start(start)!, port);
        gateway._process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        gateway._process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        gateway._process.BeginOutputReadLine();
        gateway._process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await Wait.Until(async () =>
            {
                Assert.False(gateway._process.HasExited, "the gateway exited");
                try
                {
                    using var health = await http.GetAsync(new Uri(gateway.Url, "/health"));
                    return health.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false; // not listening yet
                }
            }, "the gateway's /health answering");
            return gateway;
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            await gateway.DisposeAsync();
            Assert.Fail($"gateway did not start ({ex.Message}):\n{gateway.Output}");
            throw;
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
