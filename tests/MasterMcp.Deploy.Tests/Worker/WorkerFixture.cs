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
        (_miniflare, WorkerUrl) = await StartWorkerAsync(Origin.Url);
    }

    /// <summary>Starts the Worker in Miniflare in front of <paramref name="originUrl"/>; returns the driver process and the Worker's URL.</summary>
    public static async Task<(Process Driver, Uri Url)> StartWorkerAsync(string originUrl)
    {
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
            originUrl,
            OriginSecret,
            WellKnownTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            startInfo.ArgumentList.Add(argument);
        }
        var miniflare = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start node");
        var stderr = miniflare.StandardError.ReadToEndAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await miniflare.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }
        if (line is null)
        {
            miniflare.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Miniflare did not start the Worker:\n{await stderr}");
        }
        var url = new Uri(JsonDocument.Parse(line).RootElement.GetProperty("url").GetString()!);
        // Keep draining stdout so the driver never blocks on a full pipe.
        _ = miniflare.StandardOutput.ReadToEndAsync();
        return (miniflare, url);
    }

    /// <summary>Stops a driver started by <see cref="StartWorkerAsync"/>.</summary>
    public static async Task StopWorkerAsync(Process? miniflare)
    {
        if (miniflare is { HasExited: false })
        {
            miniflare.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await miniflare.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                miniflare.Kill(entireProcessTree: true);
            }
        }
        miniflare?.Dispose();
    }

    public HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = WorkerUrl,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task DisposeAsync()
    {
        await StopWorkerAsync(_miniflare);
        await Origin.DisposeAsync();
    }
}
