using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace MasterMcp.Tests.Conformance;

/// <summary>
/// The tests/Backends/ConformanceServer backend running as a child process on a free loopback port.
/// Disposing kills its process tree.
/// </summary>
public sealed class ConformanceServerProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "LISTENING ";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ConformanceServerProcess(Process process) => _process = process;

    /// <summary>The URL Kestrel bound, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The Streamable HTTP MCP endpoint.</summary>
    public Uri McpUrl => new(BaseUrl, "/mcp");

    /// <summary>Everything the server has written to stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>Starts the server (building it first when no build output exists) and waits for its LISTENING line.</summary>
    public static async Task<ConformanceServerProcess> StartAsync(TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
    {
        var assembly = await LocateOrBuildAsync(cancellationToken);
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        foreach (var arg in new[] { assembly, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        var server = new ConformanceServerProcess(new Process { StartInfo = start });
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"ConformanceServer exited before listening:\n{server.Output}"));
                return;
            }

            server.Append(e.Data);
            if (e.Data.StartsWith(ListeningPrefix, StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(e.Data[ListeningPrefix.Length..].Trim()));
            }
        };
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);

        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();

        try
        {
            server.BaseUrl = await listening.Task.WaitAsync(startupTimeout ?? TimeSpan.FromSeconds(30), cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The built ConformanceServer.dll for this test build's configuration.</summary>
    public static string? LocateServerAssembly()
    {
        var bin = Path.Combine(RepoPaths.Root, "tests", "Backends", "ConformanceServer", "bin");
        var configuration = typeof(ConformanceServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var preferred = Path.Combine(bin, configuration, "net10.0", "ConformanceServer.dll");
        return File.Exists(preferred) ? preferred : null;
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }

    private static async Task<string> LocateOrBuildAsync(CancellationToken cancellationToken)
    {
        if (LocateServerAssembly() is { } built)
        {
            return built;
        }

        // The test project references the server with ReferenceOutputAssembly=false, so `dotnet test` builds it;
        // this covers test runners that skip project references.
        var configuration = typeof(ConformanceServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var project = Path.Combine(RepoPaths.Root, "tests", "Backends", "ConformanceServer", "ConformanceServer.csproj");
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "build", project, "-c", configuration, "--nologo" })
        {
            start.ArgumentList.Add(arg);
        }

        using var build = Process.Start(start)!;
        var stdout = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = build.StandardError.ReadToEndAsync(cancellationToken);
        await build.WaitForExitAsync(cancellationToken);
        return build.ExitCode == 0 && LocateServerAssembly() is { } path
            ? path
            : throw new InvalidOperationException($"Building {project} failed ({build.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
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
