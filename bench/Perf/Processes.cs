using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace Perf;

/// <summary>One measured start: seconds from process start to the first answered tools/list, and VmRSS then.</summary>
internal sealed record StartupSample(string Server, double Seconds, [property: System.Text.Json.Serialization.JsonPropertyName("rss_mib")] double RssMiB);

/// <summary>Starting the bench's processes (through the test kit's <see cref="GatewayProcess"/>) and timing their start.</summary>
internal static class Processes
{
    /// <summary>The minimal C# SDK server (bench/EchoServer) on <paramref name="port"/>.</summary>
    public static GatewayProcess StartEcho(string dll, int port) =>
        GatewayProcess.StartCommand("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"], Path.GetDirectoryName(dll)!);

    /// <summary>The gateway's standalone Kestrel host (Release build of src/Functions) with a config file.</summary>
    public static GatewayProcess StartGateway(string dll, string config, IReadOnlyDictionary<string, string?> environment) =>
        GatewayProcess.StartCommand("dotnet", [dll, "--config", config], Path.GetDirectoryName(dll)!, environment);

    /// <summary>Writes the config for a port into a file when asked; returns the file's path.</summary>
    public static Func<int, string> WriteConfig(string directory, string name, Func<int, JsonObject> config) => port =>
    {
        var path = Path.Combine(directory, $"{name}-{port}.json");
        File.WriteAllText(path, config(port).ToJsonString());
        return path;
    };

    /// <summary>Anonymous gateway: Development (no auth on loopback), storage on Azurite, logging at warning, one backend.</summary>
    public static JsonObject GatewayConfig(int port, string prefix, Uri backend) => new()
    {
        ["hosting"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = port, ["base_url"] = $"http://127.0.0.1:{port}" },
        ["logging"] = new JsonObject { ["level"] = "warning", ["format"] = "plain" },
        ["storage"] = new JsonObject { ["table_prefix"] = prefix },
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "echo", ["url"] = backend.ToString(), ["required"] = true }),
    };

    /// <summary>
    /// Gateway auth mode (the built-in authorization server, upstream login at the test OIDC provider) with the echo
    /// backend as <c>echo</c> (bypass_auth) and, with <paramref name="perUser"/>, again as <c>peruser</c> (delegate_oauth;
    /// the user's token comes from the vault, seeded by the bench, so the provider's endpoints are never called).
    /// </summary>
    public static JsonObject AuthGatewayConfig(int port, string prefix, Uri backend, string issuer, string signingKey, string secrets, bool perUser) => new()
    {
        ["hosting"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = port, ["base_url"] = $"http://127.0.0.1:{port}" },
        ["logging"] = new JsonObject { ["level"] = "warning", ["format"] = "plain" },
        ["storage"] = new JsonObject { ["table_prefix"] = prefix },
        ["auth"] = new JsonObject
        {
            ["mode"] = "gateway",
            ["signing_key"] = signingKey,
            ["upstream"] = new JsonObject { ["issuer"] = issuer, ["client_id"] = "gateway", ["client_secret"] = "file:" + Path.Combine(secrets, "upstream") },
        },
        ["servers"] = perUser
            ? new JsonArray(new JsonObject { ["id"] = "echo", ["url"] = backend.ToString(), ["required"] = true }, PerUserServer(backend, secrets))
            : new JsonArray(new JsonObject { ["id"] = "echo", ["url"] = backend.ToString(), ["required"] = true }),
    };

    private static JsonObject PerUserServer(Uri backend, string secrets) => new()
    {
        ["id"] = "peruser",
        ["url"] = backend.ToString(),
        ["auth_strategy"] = "delegate_oauth",
        ["auth_config"] = new JsonObject
        {
            ["provider"] = "oauth2",
            ["authorization_endpoint"] = "http://127.0.0.1:9/authorize",
            ["token_endpoint"] = "http://127.0.0.1:9/token",
            ["client_id"] = "bench",
            ["client_secret"] = "file:" + Path.Combine(secrets, "backend"),
            ["scopes"] = new JsonArray("mcp"),
        },
    };

    /// <summary>Waits until <paramref name="target"/> lists <paramref name="tool"/> (the server is up and its backends are connected).</summary>
    public static async Task WaitForToolAsync(McpTarget target, string tool, GatewayProcess process, TimeSpan patience)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(patience.TotalSeconds * Stopwatch.Frequency);
        string last = "";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{target.Label} exited with {process.ExitCode}:\n{process.Output}");
            }
            if (await TryListAsync(target, tool) is { } error)
            {
                last = error;
                await Task.Delay(50);
                continue;
            }
            return;
        }
        throw new TimeoutException($"{target.Label} did not list {tool} within {patience}: {last}\n{process.Output}");
    }

    /// <summary>
    /// Starts a server and polls (every 2 ms) with initialize + tools/list until the list names <paramref name="tool"/>;
    /// the time from just before the process start to that answer, and the server's VmRSS right then.
    /// </summary>
    public static async Task<StartupSample> MeasureStartupAsync(string name, Func<int, GatewayProcess> start, string tool, string? token)
    {
        var port = FreePort.Next();
        using var target = new McpTarget(name, new Uri($"http://127.0.0.1:{port}/mcp"), token);
        var started = Stopwatch.GetTimestamp();
        await using var process = start(port);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{process.Output}");
            }
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{name} did not answer tools/list within 60 s:\n{process.Output}");
            }
            if (await TryListAsync(target, tool) is null)
            {
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                return new StartupSample(name, seconds, RssMiB(process.Id));
            }
            await Task.Delay(2);
        }
    }

    /// <summary>VmRSS of a process in MiB (from /proc).</summary>
    public static double RssMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kib / 1024;
            }
        }
        return double.NaN;
    }

    /// <summary>Null when a fresh session lists <paramref name="tool"/>; otherwise why not.</summary>
    private static async Task<string?> TryListAsync(McpTarget target, string tool)
    {
        try
        {
            var session = await target.InitializeAsync();
            var body = await target.CallAsync(session, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
            return body.Contains($"\"name\":\"{tool}\"", StringComparison.Ordinal) ? null : "tools/list without " + tool;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return ex.Message;
        }
    }
}
