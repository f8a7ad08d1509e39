using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MasterMcp.Credentials;
using MasterMcp.Storage;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Perf;

// The gateway's own cost, measured against a direct call to the same backend in the same run (issue 15). See
// bench/README.md. Started by bench/perf.sh, which builds Release first.
//   --quick            a few seconds per measurement, one run each (development; about 1.5 minutes)
//   --smoke            the smallest run that proves the harness works (tools/call only, 1 and 4 connections, 0.3 s per
//                      measurement, no counters; about 30 s)
//   --configuration C  which build of the gateway and the echo server to run (default Release)
//   --profile          also a CPU sample of the gateway under tools/call load (.nettrace + top methods)
//   --out DIR          where results go (default bench/results)
//   --update-readme    rewrite the figures block of README's Performance section from this run (full mode)
//   --note TEXT        the block's note on what was measured (default: "measured on a machine shared with other builds")
//   --only a,b         phases: startup, anonymous, counters, auth (default: all)
var options = PerfOptions.Parse(args);
var root = RepositoryRoot.Path;
var machine = Machine.Describe();
Console.WriteLine($"# perf ({options.Mode}): {machine.Summary}");

var report = new PerfReport { Mode = options.Mode, Machine = machine, StartedAt = DateTimeOffset.UtcNow, Settings = options.Describe() };
var echoDll = Path.Combine(root, "bench", "EchoServer", "bin", options.Configuration, "net10.0", "EchoServer.dll");
var gatewayDll = Path.Combine(root, "src", "Functions", "bin", options.Configuration, "net10.0", "MasterMcp.Functions.dll");
foreach (var dll in new[] { echoDll, gatewayDll })
{
    if (!File.Exists(dll))
    {
        Console.Error.WriteLine($"{dll} is missing: run bench/perf.sh (it builds Release first), or build the solution in {options.Configuration}.");
        return 2;
    }
}

var work = Directory.CreateTempSubdirectory("perf-").FullName;
var owned = new Stack<IAsyncDisposable>();
var clock = Stopwatch.StartNew();
string? failure = null;
try
{
    var azurite = await AzuriteFixture.StartNewAsync();
    owned.Push(azurite);
    var prefix = "perf" + Guid.NewGuid().ToString("N")[..10];
    var echoPort = FreePort.Next();
    var echo = Processes.StartEcho(echoDll, echoPort);
    owned.Push(echo);
    var echoUrl = new Uri($"http://127.0.0.1:{echoPort}/mcp");
    using var direct = new McpTarget("direct", echoUrl);
    await Processes.WaitForToolAsync(direct, "echo", echo, TimeSpan.FromSeconds(60));

    var anonymousConfig = Processes.WriteConfig(work, "anonymous", port => Processes.GatewayConfig(port, prefix, echoUrl));
    var gatewayEnv = new Dictionary<string, string?> { ["MASTER_ENV"] = "Development", ["AzureWebJobsStorage"] = azurite.ConnectionString };

    if (options.Runs("startup"))
    {
        Console.WriteLine("## startup: process start to first answered tools/list, and VmRSS then");
        for (var i = 0; i < options.StartupRuns; i++)
        {
            report.Startup.Add(await Processes.MeasureStartupAsync("sdk-server", port => Processes.StartEcho(echoDll, port), "echo", null));
            report.Startup.Add(await Processes.MeasureStartupAsync("gateway", port =>
                Processes.StartGateway(gatewayDll, anonymousConfig(port), gatewayEnv), "echo__echo", null));
        }
        foreach (var s in report.Startup)
        {
            Console.WriteLine($"  {s.Server}: {s.Seconds:F3} s, {s.RssMiB:F1} MiB");
        }
    }

    var gatewayPort = FreePort.Next();
    var gateway = Processes.StartGateway(gatewayDll, anonymousConfig(gatewayPort), gatewayEnv);
    owned.Push(gateway);
    using var anonymous = new McpTarget("gateway", new Uri($"http://127.0.0.1:{gatewayPort}/mcp"));
    await Processes.WaitForToolAsync(anonymous, "echo__echo", gateway, TimeSpan.FromSeconds(60));

    var directRequests = await Requests.DiscoverAsync(direct, "echo");
    var gatewayRequests = await Requests.DiscoverAsync(anonymous, "echo__echo");

    if (options.Runs("anonymous"))
    {
        Console.WriteLine($"## direct vs gateway (anonymous): {options.Seconds} s measured after {options.Warmup} s warm-up, median of {options.RunsPerCell}");
        foreach (var method in options.Methods)
        {
            foreach (var connections in options.Connections)
            {
                var d = new List<LoadResult>();
                var g = new List<LoadResult>();
                for (var run = 0; run < options.RunsPerCell; run++)
                {
                    d.Add(await LoadRun.RunAsync(direct, directRequests.Body(method), connections, options.WarmupSpan, options.Span));
                    g.Add(await LoadRun.RunAsync(anonymous, gatewayRequests.Body(method), connections, options.WarmupSpan, options.Span));
                }
                var cell = new Comparison(method, connections, "direct", LoadResult.Median(d), "gateway", LoadResult.Median(g), d, g);
                report.Anonymous.Add(cell);
                Console.WriteLine("  " + cell.Line());
            }
        }
    }

    // Memory after load: a gateway that keeps something per request grows here while the SDK server does not.
    report.RssAfterLoad.Add(new RssSample("gateway (anonymous)", Processes.RssMiB(gateway.Id), report.Anonymous.Sum(c => c.SubjectRuns.Sum(r => r.Calls))));
    report.RssAfterLoad.Add(new RssSample("sdk-server (the backend)", Processes.RssMiB(echo.Id), report.Anonymous.Sum(c => c.BaselineRuns.Sum(r => r.Calls))));

    if (options.Runs("counters"))
    {
        Console.WriteLine($"## runtime counters: {options.CounterCalls} tools/call over 8 connections");
        await anonymous.EnsureSessionsAsync(8);
        await direct.EnsureSessionsAsync(8);
        var counters = new Counters(Path.Combine(root, "bench", ".tools", "dotnet-counters"), work);
        // The session's window is sized from this run's own rates (when measured), generously.
        double Expected(string label) => options.CounterCalls / Math.Max(200, report.Anonymous.FirstOrDefault(c => c.Method == "tools/call" && c.Connections == 32) is { } cell
            ? (label == "gateway" ? cell.Subject.CallsPerSecond : cell.Baseline.CallsPerSecond) : 500);
        report.CountersGateway = await counters.PerCallAsync(gateway.Id, options.CounterCalls, Expected("gateway"),
            () => LoadRun.RunAsync(anonymous, gatewayRequests.Body("tools/call"), 8, TimeSpan.Zero, TimeSpan.Zero, options.CounterCalls));
        report.CountersBackend = await counters.PerCallAsync(echo.Id, options.CounterCalls, Expected("direct"),
            () => LoadRun.RunAsync(direct, directRequests.Body("tools/call"), 8, TimeSpan.Zero, TimeSpan.Zero, options.CounterCalls));
        Console.WriteLine($"  gateway: {report.CountersGateway}");
        Console.WriteLine($"  backend alone (direct calls): {report.CountersBackend}");
    }

    if (options.Profile)
    {
        Console.WriteLine("## CPU profile of the gateway under tools/call load (32 connections)");
        var profiler = new Profiler(Path.Combine(root, "bench", ".tools", "dotnet-trace"), options.OutDirectory);
        report.Profile = await profiler.SampleAsync(gateway.Id, TimeSpan.FromSeconds(options.Quick ? 5 : 15),
            () => LoadRun.RunAsync(anonymous, gatewayRequests.Body("tools/call"), 32, TimeSpan.Zero, TimeSpan.FromSeconds(options.Quick ? 6 : 16)));
        foreach (var line in report.Profile.Top)
        {
            Console.WriteLine("  " + line);
        }
    }

    if (options.Runs("auth"))
    {
        try
        {
            await AuthPhaseAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            report.AuthError = ex.GetType().Name + ": " + ex.Message;
            Console.Error.WriteLine("auth phase failed: " + ex);
        }
    }

    await direct.CloseSessionsAsync();
    await anonymous.CloseSessionsAsync();

    async Task AuthPhaseAsync()
    {
        Console.WriteLine("## authenticated and per-user paths (gateway auth mode, a real access token on every request)");
        var idp = await OidcProviderProcess.StartAsync();
        owned.Push(idp);
        var secrets = Directory.CreateDirectory(Path.Combine(work, "secrets")).FullName;
        await File.WriteAllTextAsync(Path.Combine(secrets, "upstream"), "gateway-secret");
        await File.WriteAllTextAsync(Path.Combine(secrets, "backend"), "unused-backend-secret");
        var tokenKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var signingKey = AuthTestKit.NewSigningKeyReference();

        // Two auth-mode gateways side by side: "auth" with the echo backend only, "peruser" with the echo backend twice,
        // as echo (bypass_auth) and as peruser (delegate_oauth, the user's token from the vault). Authenticated is
        // compared with anonymous; the per-user call with the same bypass_auth call in the gateway without a per-user
        // backend; and that bypass_auth call with itself in the gateway that has one (what the per-user backend costs the
        // user's other calls).
        await using var auth = await StartAuthGatewayAsync("auth", prefix + "a", perUser: false);
        await using var user = await StartAuthGatewayAsync("peruser", prefix + "u", perUser: true);
        foreach (var connections in options.Connections)
        {
            var a = new List<LoadResult>();
            var t = new List<LoadResult>();
            var b = new List<LoadResult>();
            var u = new List<LoadResult>();
            for (var run = 0; run < options.RunsPerCell; run++)
            {
                a.Add(await LoadRun.RunAsync(anonymous, gatewayRequests.Body("tools/call"), connections, options.WarmupSpan, options.Span));
                t.Add(await LoadRun.RunAsync(auth.Target, Requests.Tool("echo__echo"), connections, options.WarmupSpan, options.Span));
                b.Add(await LoadRun.RunAsync(user.Target, Requests.Tool("echo__echo"), connections, options.WarmupSpan, options.Span));
                u.Add(await LoadRun.RunAsync(user.Target, Requests.Tool("peruser__echo"), connections, options.WarmupSpan, options.Span));
            }
            Add(report.Authenticated, new Comparison("tools/call", connections, "anonymous", LoadResult.Median(a), "authenticated", LoadResult.Median(t), a, t));
            Add(report.PerUser, new Comparison("tools/call", connections, "bypass_auth", LoadResult.Median(t), "delegate_oauth", LoadResult.Median(u), t, u));
            Add(report.PerUserBeside, new Comparison("tools/call", connections, "bypass_auth", LoadResult.Median(t), "bypass_auth beside delegate_oauth", LoadResult.Median(b), t, b));
        }

        static void Add(List<Comparison> list, Comparison cell)
        {
            list.Add(cell);
            Console.WriteLine("  " + cell.Line());
        }

        async Task<AuthGateway> StartAuthGatewayAsync(string name, string tablePrefix, bool perUser)
        {
            var port = FreePort.Next();
            var config = Processes.WriteConfig(work, name, p => Processes.AuthGatewayConfig(p, tablePrefix, echoUrl, idp.Issuer, signingKey, secrets, perUser))(port);
            var process = Processes.StartGateway(gatewayDll, config, new Dictionary<string, string?>(gatewayEnv) { ["TOKEN_ENC_KEY"] = tokenKey });
            try
            {
                var baseAddress = new Uri($"http://127.0.0.1:{port}");
                await process.WaitUntilHealthyAsync(baseAddress);
                // A real access token through the built-in authorization server: dynamic registration, /authorize with
                // PKCE, login at the upstream IdP and consent (the test kit's browser), code redeemed at /token.
                var token = await AuthTestKit.AccessTokenAsync(baseAddress, "alice");
                if (perUser)
                {
                    // The user's backend token, as the connect flow would have stored it (same vault, table prefix and key).
                    var vault = new TokenVault(new TableStoreFactory(new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = tablePrefix }),
                        new TokenProtector(TokenKeyRing.Parse(tokenKey)), TimeProvider.System, NullLogger<TokenVault>.Instance);
                    await vault.SaveAsync(new UserIdentity(idp.Issuer, "alice"), "peruser",
                        new TokenSet { AccessToken = "bench-backend-token", ExpiresAt = DateTimeOffset.UtcNow.AddDays(1), IssuedAt = DateTimeOffset.UtcNow });
                }
                var target = new McpTarget(name, new Uri(baseAddress, "/mcp"), token);
                await Processes.WaitForToolAsync(target, perUser ? "peruser__echo" : "echo__echo", process, TimeSpan.FromSeconds(30));
                return new AuthGateway(process, target);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // Caught so that the finally below stops every process this run started.
    failure = ex.GetType().Name + ": " + ex.Message;
    Console.Error.WriteLine("perf failed: " + ex);
}
finally
{
    while (owned.TryPop(out var item))
    {
        try
        {
            await item.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Console.Error.WriteLine("stopping: " + ex.Message);
        }
    }
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
    }
}

report.Seconds = clock.Elapsed.TotalSeconds;
var written = ReportWriter.Write(report, options.OutDirectory);
if (options.UpdateReadme && failure is null)
{
    ReadmeBlock.Update(Path.Combine(root, "README.md"), report, ReportWriter.Targets(report), options.Note);
    Console.WriteLine("README.md: Performance figures rewritten from this run");
}
Console.WriteLine();
Console.WriteLine(File.ReadAllText(written.Markdown));
Console.WriteLine($"written: {written.Markdown}, {written.Json}, {written.Svg} ({report.Seconds:F0} s)");
var errors = report.Anonymous.Concat(report.Authenticated).Concat(report.PerUser).Concat(report.PerUserBeside).Sum(c => c.Baseline.Errors + c.Subject.Errors);
return errors == 0 && report.AuthError is null && failure is null ? 0 : 1;

/// <summary>An auth-mode gateway and a client of it holding a real access token; disposing ends the sessions and stops the gateway.</summary>
internal sealed record AuthGateway(GatewayProcess Process, McpTarget Target) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Target.CloseSessionsAsync();
        Target.Dispose();
        await Process.DisposeAsync();
    }
}

/// <summary>The harness's settings from the command line.</summary>
internal sealed record PerfOptions
{
    public bool Quick { get; init; }
    public bool Smoke { get; init; }
    public bool UpdateReadme { get; init; }
    public string Note { get; init; } = "measured on a machine shared with other builds";
    public string Configuration { get; init; } = "Release";
    public bool Profile { get; init; }
    public string OutDirectory { get; init; } = Path.Combine(RepositoryRoot.Path, "bench", "results");
    public IReadOnlySet<string>? Only { get; init; }

    public string Mode => Smoke ? "smoke" : Quick ? "quick" : "full";
    public double Seconds => Smoke ? 0.3 : Quick ? 1.5 : 4;
    public double Warmup => Smoke ? 0.1 : Quick ? 0.5 : 1;
    public int RunsPerCell => Quick || Smoke ? 1 : 3;
    public int StartupRuns => Quick || Smoke ? 1 : 3;
    public long CounterCalls => Quick ? 2_000 : 10_000;
    public IReadOnlyList<string> Methods => Smoke ? ["tools/call"] : Requests.Methods;
    public IReadOnlyList<int> Connections => Smoke ? [1, 4] : [1, 32];
    public TimeSpan Span => TimeSpan.FromSeconds(Seconds);
    public TimeSpan WarmupSpan => TimeSpan.FromSeconds(Warmup);

    public bool Runs(string phase) => Only is null ? !(Smoke && phase == "counters") : Only.Contains(phase);

    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"{Seconds} s measured after {Warmup} s warm-up per run, median of {RunsPerCell} run(s), connections {string.Join(" and ", Connections)}, one MCP session per connection (protocol {McpTarget.Protocol}), closed loop; startup median of {StartupRuns}{(Runs("counters") ? $"; counters over {CounterCalls} calls" : "")}");

    public static PerfOptions Parse(string[] args)
    {
        var options = new PerfOptions();
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--smoke" => options with { Smoke = true },
                "--update-readme" => options with { UpdateReadme = true },
                "--note" when i + 1 < args.Length => options with { Note = args[++i] },
                "--configuration" when i + 1 < args.Length => options with { Configuration = args[++i] },
                "--profile" => options with { Profile = true },
                "--out" when i + 1 < args.Length => options with { OutDirectory = Path.GetFullPath(args[++i]) },
                "--only" when i + 1 < args.Length => options with { Only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() },
                _ => throw new ArgumentException($"unknown argument '{args[i]}' (known: --quick, --smoke, --profile, --configuration C, --out DIR, --only startup,anonymous,counters,auth, --update-readme, --note TEXT)"),
            };
        }
        return options;
    }
}
