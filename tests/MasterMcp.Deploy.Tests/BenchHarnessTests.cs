using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// bench/perf.sh's harness (bench/Perf) in its smallest mode, against this build: it must start everything, measure
/// direct and gateway calls on every path and write its report. Figures are not judged here (speed belongs in bench/).
/// </summary>
public sealed class BenchHarnessTests
{
    [Fact]
    public async Task PerfHarness_SmokeMode_MeasuresDirectAndGatewayOnEveryPath_AndWritesTheReport()
    {
        // The solution is built in one configuration; run the harness, the gateway and the echo server from that one.
        var configuration = AppContext.BaseDirectory.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var perf = Repo.PathOf($"bench/Perf/bin/{configuration}/net10.0/Perf.dll");
        Assert.True(File.Exists(perf), $"{perf} not built: build the solution first (dotnet build MasterMcp.sln -c {configuration}).");
        var output = Directory.CreateTempSubdirectory("perf-smoke-").FullName;
        try
        {
            var result = await ProcessRunner.RunAsync("dotnet", [perf, "--smoke", "--configuration", configuration, "--out", output], timeout: TimeSpan.FromMinutes(4));
            Assert.True(result.ExitCode == 0, result.Output);

            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "perf-smoke.json")))!["report"]!;
            Assert.Null((string?)report["auth_error"]);
            var cells = new[] { "anonymous", "authenticated", "per_user", "per_user_beside" }.SelectMany(kind => report[kind]!.AsArray().Select(cell => (kind, cell: cell!))).ToList();
            foreach (var kind in new[] { "anonymous", "authenticated", "per_user", "per_user_beside" })
            {
                // One cell per connection count (smoke: 1 and 4).
                Assert.Equal([1, 4], cells.Where(c => c.kind == kind).Select(c => (int)c.cell["connections"]!).Order());
            }
            foreach (var (kind, cell) in cells)
            {
                foreach (var side in new[] { "baseline", "subject" })
                {
                    Assert.True((long)cell[side]!["calls"]! > 0, $"{kind} {cell["method"]} x{cell["connections"]} {side}: no calls measured\n{result.Output}");
                    Assert.Equal(0, (long)cell[side]!["errors"]!);
                }
            }
            Assert.Equal(["direct", "anonymous", "bypass_auth", "bypass_auth"], new[] { "anonymous", "authenticated", "per_user", "per_user_beside" }
                .Select(kind => (string)report[kind]![0]!["baseline_label"]!));
            Assert.Equal("delegate_oauth", (string)report["per_user"]![0]!["subject_label"]!);
            var startup = report["startup"]!.AsArray();
            Assert.Equal(["gateway", "sdk-server"], startup.Select(s => (string)s!["server"]!).Order());
            Assert.All(startup, s => Assert.True((double)s!["seconds"]! > 0 && (double)s["rss_mib"]! > 10, s!.ToJsonString()));

            var markdown = await File.ReadAllTextAsync(Path.Combine(output, "perf-smoke.md"));
            Assert.Contains("| tools/call | 1 | direct |", markdown, StringComparison.Ordinal);
            Assert.Contains("Added latency per tools/call", markdown, StringComparison.Ordinal);
            Assert.StartsWith("<svg", await File.ReadAllTextAsync(Path.Combine(output, "perf-smoke.svg")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
