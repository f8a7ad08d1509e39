using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>The built gateway as a real process: graceful SIGTERM, --healthcheck, JSON logs correlated by trace id.</summary>
public sealed class GatewayProcessTests
{
    private const string InitializeBody =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sigterm-test","version":"1.0.0"}}}""";

    private static (GatewayProcess Process, Uri BaseAddress, int Port) StartGateway(AzuriteProcess azurite, IReadOnlyDictionary<string, string?>? extraEnv = null)
    {
        var port = FreePort.Next();
        var env = new Dictionary<string, string?>
        {
            ["MASTER_ENV"] = "Development",
            // Development points storage at the default Azurite port; use ours.
            ["MASTER__storage__connection_string"] = azurite.ConnectionString,
            ["MASTER__storage__timeout_seconds"] = "2",
        };
        foreach (var (key, value) in extraEnv ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }
        var process = GatewayProcess.Start(["--hosting.host=127.0.0.1", "--hosting.port=" + port.ToString(CultureInfo.InvariantCulture)], env);
        return (process, new Uri($"http://127.0.0.1:{port}/"), port);
    }

    /// <summary>The sum of <c>http_server_active_requests</c> series for POST in a Prometheus scrape.</summary>
    private static double ActivePosts(string prometheusText) =>
        prometheusText.Split('\n')
            .Where(line => line.StartsWith("http_server_active_requests{", StringComparison.Ordinal)
                && line.Contains("http_request_method=\"POST\"", StringComparison.Ordinal))
            // name{labels} value [timestamp]
            .Sum(line => double.Parse(line[(line.LastIndexOf('}') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture));

    /// <summary>Writes the first half of the body, then waits for a signal before writing the rest.</summary>
    private sealed class SlowContent(string json, Task proceed) : HttpContent
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(json);

        public TaskCompletionSource HalfSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _bytes.Length / 2;
            await stream.WriteAsync(_bytes.AsMemory(0, half));
            await stream.FlushAsync();
            HalfSent.TrySetResult();
            await proceed;
            await stream.WriteAsync(_bytes.AsMemory(half));
            await stream.FlushAsync();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }

    [Fact]
    public async Task Sigterm_DuringSlowRequest_LetsItFinish_ThenExits0()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        var (process, baseAddress, _) = StartGateway(azurite, new Dictionary<string, string?> { ["MASTER__telemetry__metrics_endpoint"] = "true" });
        await using var gateway = process;
        await gateway.WaitUntilHealthyAsync(baseAddress);

        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var content = new SlowContent(InitializeBody, proceed.Task);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative)) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var responseTask = http.SendAsync(request, HttpCompletionOption.ResponseContentRead);

        await content.HalfSent.Task.WaitAsync(Wait.DefaultPatience);
        // The gateway's own signal that it holds the request: ASP.NET Core counts it in flight (the scrape itself is a GET).
        using var scraper = new HttpClient { BaseAddress = baseAddress };
        await Wait.Until(async () => ActivePosts(await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative))) >= 1,
            "the slow POST counted in http_server_active_requests");
        await gateway.SendSigtermAsync();
        // The gateway's own signal that SIGTERM was taken: the drain begins (and must not end while the request is open).
        await gateway.WaitForStdoutLineAsync(l => l.Contains("Draining", StringComparison.Ordinal), Wait.DefaultPatience);
        Assert.False(gateway.HasExited, "the gateway exited while a request was still in flight:\n" + gateway.Output);

        proceed.SetResult();
        using var response = await responseTask.WaitAsync(TimeSpan.FromSeconds(30));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}\n{gateway.Output}");
        Assert.Contains("\"serverInfo\"", body, StringComparison.Ordinal);
        Assert.Contains("\"id\":1", body, StringComparison.Ordinal);
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(gateway.ExitCode == 0, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
    }

    [Fact]
    public async Task HealthcheckCommand_Exits0AgainstRunningGateway_1AgainstStoppedPort()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        var (process, baseAddress, port) = StartGateway(azurite);
        await using var gateway = process;
        await gateway.WaitUntilHealthyAsync(baseAddress);
        string[] probeArgs = ["--healthcheck", "--hosting.port=" + port.ToString(CultureInfo.InvariantCulture)];

        await using (var healthy = await GatewayProcess.RunToExitAsync(probeArgs))
        {
            Assert.True(healthy.ExitCode == 0, $"exit code {healthy.ExitCode}:\n{healthy.Output}");
        }

        await gateway.SendSigtermAsync();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, gateway.ExitCode);

        await using var stopped = await GatewayProcess.RunToExitAsync(probeArgs);
        Assert.True(stopped.ExitCode == 1, $"exit code {stopped.ExitCode}:\n{stopped.Output}");
    }

    [Fact]
    public async Task JsonLogs_EveryLineIsJson_AndLinesOfARequestCarryItsCorrelationId()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        var (process, baseAddress, _) = StartGateway(azurite, new Dictionary<string, string?>
        {
            ["LOG_FORMAT"] = "json",
            ["MASTER_LOG_LEVEL"] = "debug",
        });
        await using var gateway = process;
        await gateway.WaitUntilHealthyAsync(baseAddress);

        using var http = new HttpClient { BaseAddress = baseAddress };
        using var response = await http.GetAsync(new Uri("/ready", UriKind.Relative));
        var correlationId = response.Headers.GetValues("X-Correlation-Id").Single();
        Assert.Matches("^[0-9a-f]{32}$", correlationId);

        await gateway.SendSigtermAsync();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var lines = gateway.StdoutLines.Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var parsed = JsonDocument.Parse(line); // Throws, failing the test, for a line that is not JSON.
            Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
        }
        var requestLines = lines.Where(l => l.Contains(correlationId, StringComparison.Ordinal)).ToList();
        Assert.True(requestLines.Count > 0, $"no log line carries {correlationId}:\n{string.Join('\n', lines)}");
    }
}
