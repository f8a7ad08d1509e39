using System.Diagnostics;
using System.Globalization;
using ModelContextProtocol.Client;

// Load generator: N concurrent MCP clients (the official C# SDK client over Streamable HTTP), each calling one tool in
// a loop for a fixed time. Prints one line of JSON: calls, errors, calls/s and latency percentiles in milliseconds.
//   --url http://127.0.0.1:3000/mcp  --tool sample__echo  --clients 20  --seconds 30  --warmup 3
//   --protocol 2025-11-25 (initialize + session; "" lets the client negotiate)  --label gateway
//   --forward-url http://127.0.0.1:3001/mcp: sessions begin at --url, every later request of a session (calls, GET stream)
//     goes to this other instance, which must carry it to the session's owner (scale-out cost)
var url = new Uri(Arg("--url") ?? throw new ArgumentException("--url is required"));
var tool = Arg("--tool") ?? "echo";
var clients = int.Parse(Arg("--clients") ?? "20", CultureInfo.InvariantCulture);
var seconds = double.Parse(Arg("--seconds") ?? "30", CultureInfo.InvariantCulture);
var warmup = double.Parse(Arg("--warmup") ?? "3", CultureInfo.InvariantCulture);
var protocol = Arg("--protocol") ?? "2025-11-25";
var label = Arg("--label") ?? tool;

var forward = Arg("--forward-url") is { } f ? new Uri(f) : null;
HttpMessageHandler handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
if (forward is not null)
{
    handler = new ToOtherInstance(forward) { InnerHandler = handler };
}
using var http = new HttpClient(handler)
{
    Timeout = TimeSpan.FromSeconds(60),
};
var sessions = new McpClient[clients];
for (var i = 0; i < clients; i++)
{
    var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = url, TransportMode = HttpTransportMode.StreamableHttp }, http);
    sessions[i] = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = protocol.Length == 0 ? null : protocol });
}

var arguments = new Dictionary<string, object?> { ["text"] = "load" };
var errors = 0;
var samples = new List<double>[clients];
var warmupEnds = Stopwatch.GetTimestamp() + (long)(warmup * Stopwatch.Frequency);
var ends = warmupEnds + (long)(seconds * Stopwatch.Frequency);
var workers = Enumerable.Range(0, clients).Select(async i =>
{
    var own = samples[i] = new List<double>(4096);
    while (Stopwatch.GetTimestamp() < ends)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await sessions[i].CallToolAsync(tool, arguments);
            if (result.IsError == true)
            {
                Interlocked.Increment(ref errors);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref errors);
            await Console.Error.WriteLineAsync($"client {i}: {ex.GetType().Name}: {ex.Message}");
        }
        if (started >= warmupEnds)
        {
            own.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}).ToArray();
await Task.WhenAll(workers);
foreach (var session in sessions)
{
    await session.DisposeAsync();
}

var all = samples.SelectMany(s => s).Order().ToArray();
double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"label\":\"{label}\",\"tool\":\"{tool}\",\"clients\":{clients},\"seconds\":{seconds},\"calls\":{all.Length},\"errors\":{errors},\"calls_per_second\":{all.Length / seconds:F0},\"p50_ms\":{Percentile(0.50):F2},\"p90_ms\":{Percentile(0.90):F2},\"p99_ms\":{Percentile(0.99):F2},\"max_ms\":{(all.Length == 0 ? double.NaN : all[^1]):F2}}}"));
return errors == 0 ? 0 : 1;

string? Arg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

/// <summary>Sends every request that names a session to another instance than the one that created it.</summary>
internal sealed class ToOtherInstance(Uri other) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Contains("Mcp-Session-Id"))
        {
            request.RequestUri = other;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
