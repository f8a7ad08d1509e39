using System.Diagnostics;
using System.Reflection;
using System.Text;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// A test backend (a project under tests/Backends) running as a child process; it prints "LISTENING url" once bound.
/// Disposing kills its whole process tree.
/// </summary>
public sealed class TestServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private const int MaxOutputChars = 256 * 1024;

    private readonly StringBuilder _output = new();
    private int _disposed;

    private TestServerProcess(Process process) => _process = process;

    /// <summary>The base URL the server bound.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The Streamable HTTP endpoint.</summary>
    public Uri McpUrl => new(BaseUrl, "/mcp");

    /// <summary>The legacy SSE endpoint (when started with --legacy-sse).</summary>
    public Uri SseUrl => new(BaseUrl, "/mcp/sse");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>The built assembly of a test backend project for this test build's configuration.</summary>
    public static string AssemblyOf(string project)
    {
        var configuration = typeof(TestServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var folder = project == "SampleServer" ? Path.Combine(RepoPaths.Root, "samples", project) : Path.Combine(RepoPaths.Root, "tests", "Backends", project);
        var path = Path.Combine(folder, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built; run dotnet build first");
    }

    /// <summary>Starts a backend with the given arguments and waits until it listens.</summary>
    public static async Task<TestServerProcess> StartAsync(string project, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AssemblyOf(project));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var server = new TestServerProcess(new Process { StartInfo = start });
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"{project} exited before listening:\n{server.Output}"));
                return;
            }
            server.Append(e.Data);
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(e.Data["LISTENING ".Length..].Trim()));
            }
        };
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            server.BaseUrl = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process tree and waits for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
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

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
                // Only the recent output is for diagnostics; a server that logs every request must not fill the test's heap.
                if (_output.Length > MaxOutputChars)
                {
                    _output.Remove(0, _output.Length - MaxOutputChars / 2);
                }
            }
        }
    }
}
