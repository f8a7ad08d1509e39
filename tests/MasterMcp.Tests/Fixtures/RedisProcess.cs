using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// A real Redis server (Debian's redis-server, installed by .ci/run) on a free loopback port, with no persistence.
/// Stop it to simulate a Redis outage.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RedisProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    private int _disposed;

    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts redis-server (on <paramref name="port"/>, or a free port) and waits until it answers PING.</summary>
    public static async Task<RedisProcess> StartAsync(int? port = null)
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed; .ci/run installs it (apt-get install redis-server)");
        var chosen = port ?? FreePort.Next();
        return await StartAsync(executable, chosen);
    }

    private static async Task<RedisProcess> StartAsync(string executable, int port)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(arg);
        }
        var redis = new RedisProcess(new Process { StartInfo = start }, port);
        redis._process.OutputDataReceived += (_, e) => redis.Append(e.Data);
        redis._process.ErrorDataReceived += (_, e) => redis.Append(e.Data);
        redis._process.Start();
        redis._process.BeginOutputReadLine();
        redis._process.BeginErrorReadLine();
        try
        {
            await Wait.Until(async () => redis._process.HasExited || await AnswersPingAsync(port), $"redis-server answering PING on 127.0.0.1:{port}");
        }
        catch (Exception ex)
        {
            var output = redis.Output;
            await redis.DisposeAsync();
            throw new InvalidOperationException($"redis-server did not answer on {port}:\n{output}", ex);
        }
        if (redis._process.HasExited)
        {
            var error = new InvalidOperationException($"redis-server exited with {redis._process.ExitCode}:\n{redis.Output}");
            await redis.DisposeAsync();
            throw error;
        }
        return redis;
    }

    private static async Task<bool> AnswersPingAsync(int port)
    {
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync("127.0.0.1", port);
            await using var stream = probe.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    /// <summary>What the server printed.</summary>
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

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // A test may stop Redis (an outage) before the cluster that owns it is disposed.
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
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
