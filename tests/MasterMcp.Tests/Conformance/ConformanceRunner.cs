using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MasterMcp.Tests.Conformance;

/// <summary>
/// Runs the server side of the official <c>@modelcontextprotocol/conformance</c> suite (from tools/node_modules,
/// on the Node 22 there) against any MCP URL and returns the per-check results it wrote.
/// </summary>
public sealed partial class ConformanceRunner
{
    private const string SuitePackage = "@modelcontextprotocol/conformance";

    private ConformanceRunner(string nodePath, string cliPath)
    {
        NodePath = nodePath;
        CliPath = cliPath;
    }

    public string NodePath { get; }

    /// <summary>The suite's CLI script (its package.json <c>bin.conformance</c>).</summary>
    public string CliPath { get; }

    /// <summary>Finds Node and the suite under tools/node_modules; throws with the npm install hint when either is missing.</summary>
    public static ConformanceRunner Locate()
    {
        var node = RepoPaths.RequireNode();
        var packageDir = RepoPaths.RequirePackage(SuitePackage);
        using var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(packageDir, "package.json")));
        var bin = package.RootElement.GetProperty("bin");
        var entry = bin.ValueKind == JsonValueKind.String ? bin.GetString() : bin.GetProperty("conformance").GetString();
        var cli = Path.GetFullPath(Path.Combine(packageDir, entry ?? throw new InvalidOperationException($"{SuitePackage} declares no bin entry.")));
        return File.Exists(cli)
            ? new ConformanceRunner(node, cli)
            : throw new InvalidOperationException($"The suite's CLI '{cli}' is missing: run `cd tools && npm install`.");
    }

    /// <summary>The server scenarios the suite knows (<c>conformance list --server</c>), in its order.</summary>
    public async Task<IReadOnlyList<string>> ListServerScenariosAsync(CancellationToken cancellationToken = default)
    {
        var run = await RunNodeAsync(["list", "--server"], Path.GetTempPath(), TimeSpan.FromSeconds(60), cancellationToken);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"`conformance list --server` exited with {run.ExitCode}: {run.Stderr}");
        }

        var scenarios = run.Stdout.Split('\n')
            .Select(line => ListedScenario().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["name"].Value)
            .ToList();
        return scenarios.Count > 0
            ? scenarios
            : throw new InvalidOperationException($"`conformance list --server` listed no scenarios:\n{run.Stdout}");
    }

    /// <summary>Runs the suite's server scenarios against <paramref name="mcpUrl"/> and collects every scenario's checks.json.</summary>
    public async Task<ConformanceRunResult> RunServerAsync(
        string mcpUrl, ConformanceRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ConformanceRunOptions();
        var outputDir = options.OutputDirectory
            ?? Path.Combine(Path.GetTempPath(), "mastermcp-conformance", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(outputDir);

        IReadOnlyList<string> expected = options.Scenario is { } single ? [single] : await ListServerScenariosAsync(cancellationToken);
        List<string> args = ["server", "--url", mcpUrl, "--output-dir", outputDir];
        args.AddRange(options.Scenario is { } s ? ["--scenario", s] : ["--suite", options.Suite]);

        var started = Stopwatch.StartNew();
        var run = await RunNodeAsync(args, outputDir, options.Timeout, cancellationToken);
        var written = ReadCheckFiles(outputDir);

        // Scenarios the suite skipped by suite choice stay out; ones it tried but could not finish show up as failures.
        var ranInOrder = StartedScenario().Matches(run.Stdout).Select(m => m.Groups["name"].Value).ToList();
        var order = expected.Concat(ranInOrder).Concat(written.Keys).Distinct().ToList();
        var scenarios = order
            .Where(name => written.ContainsKey(name) || ranInOrder.Contains(name))
            .Select(name => written.TryGetValue(name, out var checks)
                ? new ConformanceScenarioResult(name, true, checks)
                : new ConformanceScenarioResult(name, false, [NotRun(name, run)]))
            .ToList();

        return new ConformanceRunResult
        {
            Url = mcpUrl,
            Scenarios = scenarios,
            ExitCode = run.ExitCode,
            Stdout = run.Stdout,
            Stderr = run.Stderr,
            OutputDirectory = outputDir,
            Duration = started.Elapsed,
        };
    }

    private static Dictionary<string, IReadOnlyList<ConformanceCheck>> ReadCheckFiles(string outputDir)
    {
        var byScenario = new Dictionary<string, IReadOnlyList<ConformanceCheck>>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(outputDir).Order(StringComparer.Ordinal))
        {
            var match = ResultFolder().Match(Path.GetFileName(dir));
            var file = Path.Combine(dir, "checks.json");
            if (match.Success && File.Exists(file))
            {
                var scenario = match.Groups["scenario"].Value;
                byScenario[scenario] = ParseChecks(scenario, File.ReadAllText(file));
            }
        }

        return byScenario;
    }

    private static List<ConformanceCheck> ParseChecks(string scenario, string json)
    {
        using var document = JsonDocument.Parse(json);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var checks = new List<ConformanceCheck>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var id = GetString(item, "id") ?? "(no id)";
            var occurrence = seen[id] = seen.GetValueOrDefault(id) + 1;
            checks.Add(new ConformanceCheck
            {
                Scenario = scenario,
                Id = id,
                Key = occurrence == 1 ? $"{scenario}/{id}" : $"{scenario}/{id}#{occurrence}",
                Name = GetString(item, "name") ?? id,
                Description = GetString(item, "description") ?? "",
                Status = GetString(item, "status") ?? "(no status)",
                Message = GetString(item, "errorMessage"),
            });
        }

        return checks;
    }

    private static string? GetString(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ConformanceCheck NotRun(string scenario, NodeRun run) => new()
    {
        Scenario = scenario,
        Id = "scenario-not-run",
        Key = $"{scenario}/scenario-not-run",
        Name = "ScenarioNotRun",
        Description = "The suite started the scenario but wrote no checks.json for it",
        Status = ConformanceCheck.Failure,
        Message = run.TimedOut ? "The suite run timed out." : $"No checks.json (exit code {run.ExitCode}). stderr: {Tail(run.Stderr)}",
    };

    private static string Tail(string text) => text.Length <= 500 ? text : text[^500..];

    private async Task<NodeRun> RunNodeAsync(IEnumerable<string> args, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(NodePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Plain text: the suite colours its summary when it thinks it is on a terminal.
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FORCE_COLOR"] = "0";

        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
        }

        // WaitForExitAsync returns after the redirected streams hit EOF, so the buffers are complete here.
        lock (stdout)
        {
            lock (stderr)
            {
                return new NodeRun(timedOut ? -1 : process.ExitCode, stdout.ToString(), stderr.ToString(), timedOut);
            }
        }
    }

    [GeneratedRegex(@"^\s+- (?<name>[a-z0-9][a-z0-9\-/]*)(\s|$)")]
    private static partial Regex ListedScenario();

    [GeneratedRegex(@"^=== Running scenario: (?<name>\S+) ===", RegexOptions.Multiline)]
    private static partial Regex StartedScenario();

    // The suite names folders server-<scenario>-<ISO timestamp with ':' and '.' replaced by '-'>.
    [GeneratedRegex(@"^server-(?<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")]
    private static partial Regex ResultFolder();

    private sealed record NodeRun(int ExitCode, string Stdout, string Stderr, bool TimedOut);
}
