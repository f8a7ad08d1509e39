using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// Runs Azurite's table service (in-memory) from tools/node_modules on a free port. Use it as the "azurite" collection
/// fixture, or standalone via <see cref="StartNewAsync"/> when a test needs to stop and restart its own instance.
/// The only place tests start Azurite (<see cref="AzuriteProcess"/> wraps it).
/// A restart keeps the port (so <see cref="ConnectionString"/> stays valid) but loses all data.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>The table port; fixed at the first start.</summary>
    public int Port { get; private set; }

    /// <summary>The table endpoint, <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public string TableEndpoint => $"http://127.0.0.1:{Port}/{AccountName}";

    /// <summary>A connection string for the development account on this instance.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};";

    /// <summary>True while the Azurite process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a private instance the caller owns (dispose it to kill Azurite), on <paramref name="port"/> or a free one.</summary>
    /// <remarks>A new instance on a stopped one's <see cref="Port"/> simulates storage coming back (with empty tables).</remarks>
    public static async Task<AzuriteFixture> StartNewAsync(int? port = null)
    {
        var fixture = new AzuriteFixture { Port = port ?? 0 };
        try
        {
            await fixture.StartAsync();
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts Azurite (again) and waits until its port accepts connections.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var executable = Path.Combine(RepositoryRoot.Path, "tools", "node_modules", ".bin", "azurite-table");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({executable} is missing). Run `cd tools && npm install` in the repository root.");
        }

        // A port picked at the first start can be taken by someone else in between; only then try another one.
        var portIsFixed = Port != 0;
        for (var attempt = 1; ; attempt++)
        {
            if (!portIsFixed)
            {
                Port = FreePort();
            }

            try
            {
                await StartProcessAsync(executable);
                return;
            }
            catch (InvalidOperationException) when (!portIsFixed && attempt < 3 && Output().Contains("EADDRINUSE", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Kills Azurite and waits for it to exit; the port stops answering.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Kills the Azurite process tree.</summary>
    public Task DisposeAsync() => StopAsync();

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    async ValueTask IAsyncDisposable.DisposeAsync() => await StopAsync();

    private async Task StartProcessAsync(string executable)
    {
        lock (_output)
        {
            _output.Clear();
        }

        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[]
        {
            "--inMemoryPersistence", "--tableHost", "127.0.0.1", "--tablePort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--skipApiVersionCheck", "--loose",
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            await Wait.Until(async () => process.HasExited || await AcceptsConnectionsAsync(Port), $"Azurite listening on 127.0.0.1:{Port}");
        }
        catch (Exception ex)
        {
            await StopAsync();
            throw new InvalidOperationException($"Azurite did not listen on 127.0.0.1:{Port}. Output:\n{Output()}", ex);
        }

        if (process.HasExited)
        {
            var exitCode = process.ExitCode;
            await StopAsync();
            throw new InvalidOperationException(
                $"Azurite exited with code {exitCode} before listening on 127.0.0.1:{Port}. Output:\n{Output()}");
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}
