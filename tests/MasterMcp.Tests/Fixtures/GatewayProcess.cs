using System.Diagnostics;
using System.Text;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// The built MasterMcp.Functions.dll running as a real process (Kestrel host), with its stdout and stderr captured line by line.
/// Disposing kills it if it still runs. The one way tests run the gateway as a process: also compiled into
/// MasterMcp.Deploy.Tests (linked file), where a partial adds its start-on-a-port helper; here GatewayProcess.Build.cs adds
/// <c>Start</c> and <c>RunToExitAsync</c> over this test assembly's build of the Functions app.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> _waiters = [];

    private GatewayProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (only after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get { lock (_stdout) { return [.. _stdout]; } }
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr
    {
        get { lock (_stderr) { return string.Join('\n', _stderr); } }
    }

    /// <summary>Stdout and stderr, for assertion messages.</summary>
    public string Output => string.Join('\n', StdoutLines) + "\n--- stderr ---\n" + Stderr;

    /// <summary>
    /// Starts any command that runs the gateway (e.g. the README's <c>dotnet run …</c>) in <paramref name="workingDirectory"/>, with
    /// a clean environment: nothing from the test runner's environment decides the gateway's configuration. Disposing kills the whole process tree.
    /// </summary>
    public static GatewayProcess StartCommand(string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // The test runner's own settings must not leak into the gateway under test.
        foreach (var name in new[] { "AZURE_FUNCTIONS_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "PORT", "LOG_LEVEL", "LOG_FORMAT", "ASPNETCORE_URLS", "TOKEN_ENC_KEY", "BASE_URL" })
        {
            start.Environment.Remove(name);
        }
        foreach (var key in start.Environment.Keys
            .Where(k => k.StartsWith("MASTER", StringComparison.OrdinalIgnoreCase) || k.StartsWith("AzureWebJobs", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var gateway = new GatewayProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        gateway._process.OutputDataReceived += (_, e) => gateway.Append(gateway._stdout, e.Data);
        gateway._process.ErrorDataReceived += (_, e) => gateway.Append(gateway._stderr, e.Data);
        gateway._process.Exited += (_, _) => gateway.FailWaiters();
        gateway._process.Start();
        gateway._process.BeginOutputReadLine();
        gateway._process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>Completes with the first stdout line (already printed or still to come) that <paramref name="match"/> accepts; fails if the process exits first.</summary>
    public async Task<string> WaitForStdoutLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var waiter = (Match: match, Line: new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_stdout)
        {
            if (_stdout.FirstOrDefault(match) is { } seen)
            {
                return seen;
            }
            _waiters.Add(waiter);
        }
        if (_process.HasExited)
        {
            FailWaiters();
        }
        try
        {
            return await waiter.Line.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No matching output within {timeout}:\n{Output}");
        }
    }

    /// <summary>Polls GET /health until it answers 200.</summary>
    public async Task WaitUntilHealthyAsync(Uri baseAddress, TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await Wait.Until(async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The gateway exited with {_process.ExitCode} before it was healthy:\n{Output}");
                }
                try
                {
                    using var response = await http.GetAsync(new Uri(baseAddress, "/health"));
                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false; // not listening yet
                }
            }, $"the gateway healthy at {baseAddress}", timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new TimeoutException($"{ex.Message}:\n{Output}", ex);
        }
    }

    /// <summary>Kills the process at once (SIGKILL: a crash, an evicted container), with no chance to drain.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Sends SIGTERM (what Docker, Kubernetes and Koyeb send on stop).</summary>
    public async Task SendSigtermAsync()
    {
        using var kill = Process.Start("kill", "-TERM " + _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed with {kill.ExitCode}");
        }
    }

    /// <summary>Waits for the process to exit, and for its output to be drained.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The gateway did not exit within {timeout}:\n{Output}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        _process.Dispose();
    }

    private void Append(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> matched = [];
        lock (lines)
        {
            lines.Add(line);
            if (ReferenceEquals(lines, _stdout))
            {
                matched = _waiters.Where(w => w.Match(line)).ToList();
                _waiters.RemoveAll(matched.Contains);
            }
        }
        foreach (var waiter in matched)
        {
            waiter.Line.TrySetResult(line);
        }
    }

    private void FailWaiters()
    {
        List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> waiting;
        lock (_stdout)
        {
            waiting = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var waiter in waiting)
        {
            waiter.Line.TrySetException(new InvalidOperationException($"The gateway exited with {_process.ExitCode} before printing the awaited line:\n{Output}"));
        }
    }
}
