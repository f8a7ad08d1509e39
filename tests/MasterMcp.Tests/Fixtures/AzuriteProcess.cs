using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// Azurite's table service (in-memory) on a free loopback port, started from tools/node_modules. Stop it to simulate a
/// storage outage; disposing kills it. A minimal starter until the shared Azurite fixture lands.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, documented by Azurite; not a secret).</summary>
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private readonly string _workDir;

    private AzuriteProcess(Process process, int port, string workDir)
    {
        _process = process;
        Port = port;
        _workDir = workDir;
    }

    /// <summary>The table service port.</summary>
    public int Port { get; }

    /// <summary>A connection string for this instance's table endpoint.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>What Azurite printed so far.</summary>
    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Starts azurite-table on <paramref name="fixedPort"/> (a free one when null) and waits until the port accepts connections.</summary>
    /// <remarks>Starting a new instance on a stopped one's <see cref="Port"/> simulates storage coming back (with empty tables).</remarks>
    public static async Task<AzuriteProcess> StartAsync(int? fixedPort = null)
    {
        var node = File.Exists("/usr/bin/node") ? "/usr/bin/node" : RepoPaths.RequireNode();
        var main = Path.Combine(RepoPaths.RequirePackage("azurite"), "dist", "src", "table", "main.js");
        var port = fixedPort ?? FreePort.Next();
        var workDir = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workDir);
        var start = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var arg in new[] { main, "--inMemoryPersistence", "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--skipApiVersionCheck", "--loose" })
        {
            start.ArgumentList.Add(arg);
        }

        var azurite = new AzuriteProcess(new Process { StartInfo = start }, port, workDir);
        azurite._process.OutputDataReceived += (_, e) => azurite.Append(e.Data);
        azurite._process.ErrorDataReceived += (_, e) => azurite.Append(e.Data);
        azurite._process.Start();
        azurite._process.BeginOutputReadLine();
        azurite._process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (azurite._process.HasExited)
            {
                throw new InvalidOperationException($"azurite-table exited with {azurite._process.ExitCode}:\n{azurite.Output}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return azurite;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        await azurite.DisposeAsync();
        throw new TimeoutException($"azurite-table did not listen on {port} within 30 s:\n{azurite.Output}");
    }

    /// <summary>Kills Azurite (storage outage) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        await _process.WaitForExitAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output) { _output.AppendLine(line); }
        }
    }
}
