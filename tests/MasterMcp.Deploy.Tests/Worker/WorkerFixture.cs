using System.Diagnostics;
using System.Text.Json;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests.Worker;

/// <summary>The Worker running in Miniflare (real workerd) in front of a local Kestrel origin.</summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    public const string OriginSecret = "test-origin-secret-123";
    public const int WellKnownTtlSeconds = 2;

    private Process? _miniflare;

    public OriginServer Origin { get; private set; } = null!;

    public Uri WorkerUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Origin = await OriginServer.StartAsync();

        var node = Repo.Node;
        Repo.NodeModule("miniflare/package.json");
        Repo.NodeModule("esbuild/package.json");
        var startInfo = new ProcessStartInfo(node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var argument in new[]
        {
            Repo.PathOf("tests/MasterMcp.Deploy.Tests/node/worker-host.cjs"),
            Repo.ToolsDirectory,
            Repo.PathOf("deploy/cloudflare"),
            Origin.Url,
            OriginSecret,
            WellKnownTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            startInfo.ArgumentList.Add(argument);
        }
        _miniflare = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start node");
        var stderr = _miniflare.StandardError.ReadToEndAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await _miniflare.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }
        if (line is null)
        {
            _miniflare.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Miniflare did not start the Worker:\n{await stderr}");
        }
        WorkerUrl = new Uri(JsonDocument.Parse(line).RootElement.GetProperty("url").GetString()!);
        // Keep draining stdout so the driver never blocks on a full pipe.
        _ = _miniflare.StandardOutput.ReadToEndAsync();
    }

    public HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = WorkerUrl,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task DisposeAsync()
    {
        if (_miniflare is { HasExited: false })
        {
            _miniflare.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _miniflare.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _miniflare.Kill(entireProcessTree: true);
            }
        }
        _miniflare?.Dispose();
        await Origin.DisposeAsync();
    }
}
