using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Fidelity;

/// <summary>@modelcontextprotocol/server-everything serving Streamable HTTP (its <c>streamableHttp</c> mode, port from PORT).</summary>
public sealed class EverythingHttpProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EverythingHttpProcess(Process process, int port)
    {
        _process = process;
        McpUrl = new Uri($"http://127.0.0.1:{port}/mcp");
    }

    /// <summary>The Streamable HTTP endpoint.</summary>
    public Uri McpUrl { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>Starts server-everything on a free loopback port and waits until it listens.</summary>
    public static async Task<EverythingHttpProcess> StartAsync()
    {
        var port = FreePort();
        var script = Path.Combine(RepoPaths.RequirePackage("@modelcontextprotocol/server-everything"), "dist", "index.js");
        var start = new ProcessStartInfo(RepoPaths.RequireNode()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("streamableHttp");
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var server = new EverythingHttpProcess(new Process { StartInfo = start }, port);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (server._output)
            {
                server._output.AppendLine(line);
            }
            if (line.Contains("listening on port", StringComparison.OrdinalIgnoreCase))
            {
                listening.TrySetResult();
            }
        }
        server._process.OutputDataReceived += (_, e) => OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        server._process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("server-everything exited:\n" + server.Output));
        server._process.EnableRaisingEvents = true;
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }
}
