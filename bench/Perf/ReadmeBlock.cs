using System.Globalization;
using System.Text;

namespace Perf;

/// <summary>
/// The figures block of README's Performance section (between <c>&lt;!-- perf:begin</c> and <c>&lt;!-- perf:end --&gt;</c>),
/// written from a run with <c>--update-readme</c>: one table with the gaps, startup, memory, counters and the targets.
/// </summary>
internal static class ReadmeBlock
{
    private const string Begin = "<!-- perf:begin";
    private const string End = "<!-- perf:end -->";
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Update(string readmePath, PerfReport r, IReadOnlyList<Target> targets, string note)
    {
        var text = File.ReadAllText(readmePath);
        var begin = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"{readmePath} has no '{Begin} … {End}' block to rewrite.");
        }
        var lineEnd = text.IndexOf('\n', begin) + 1;
        File.WriteAllText(readmePath, text[..lineEnd] + Render(r, targets, note) + text[end..]);
    }

    private static string Render(PerfReport r, IReadOnlyList<Target> targets, string note)
    {
        var s = new StringBuilder();
        s.AppendLine(C, $"**Figures** ({r.Mode} run of {r.StartedAt:yyyy-MM-dd HH:mm} UTC on {r.Machine.Summary}; {note}; the complete output, with");
        s.AppendLine("every run, the chart and a CPU sample, is in [bench/results/perf-full.md](bench/results/perf-full.md)):");
        s.AppendLine();
        s.AppendLine("| measured | baseline: calls/s · mean · p50 · p99 (ms) | compared: calls/s · mean · p50 · p99 (ms) | added per call | ratio |");
        s.AppendLine("|---|---|---|---|---|");
        foreach (var c in r.Anonymous)
        {
            Row(s, $"{c.Method}, {c.Connections} conn., direct → gateway", c);
        }
        foreach (var (list, label) in new[] { (r.Authenticated, "anonymous → authenticated"), (r.PerUser, "bypass_auth → delegate_oauth"), (r.PerUserBeside, "bypass_auth → bypass_auth beside a delegate_oauth backend") })
        {
            foreach (var c in list)
            {
                Row(s, $"{c.Method}, {c.Connections} conn., {label}", c);
            }
        }
        s.AppendLine();
        var gateway = r.Startup.Where(x => x.Server == "gateway").ToList();
        var sdk = r.Startup.Where(x => x.Server == "sdk-server").ToList();
        if (gateway.Count > 0 && sdk.Count > 0)
        {
            s.AppendLine(C, $"Startup (process start → first answered tools/list, median of {gateway.Count}): gateway {Median(gateway.Select(x => x.Seconds)):F2} s vs minimal C# SDK server {Median(sdk.Select(x => x.Seconds)):F2} s; VmRSS then {Median(gateway.Select(x => x.RssMiB)):F0} MiB vs {Median(sdk.Select(x => x.RssMiB)):F0} MiB.");
        }
        if (r.RssAfterLoad.Count > 0)
        {
            s.AppendLine(C, $"VmRSS after the direct-vs-gateway phase: {string.Join("; ", r.RssAfterLoad.Select(x => $"{x.Process} {x.RssMiB:F0} MiB after {x.MeasuredCalls:N0} measured calls"))}.");
        }
        if (r.CountersGateway is { } g)
        {
            var types = string.Join(", ", g.ExceptionTypes.Where(e => e.Value >= 0.005).Select(e => $"{e.Key} {e.Value:F2}"));
            s.AppendLine(C, $"Per tools/call through the gateway (dotnet-counters, {g.Calls:N0} calls): {g.BytesAllocatedPerCall / 1024:F1} KB allocated, {g.ExceptionsPerCall:F2} exceptions{(types.Length == 0 ? "" : $" ({types})")}, {g.WorkItemsPerCall:F1} thread-pool work items{(r.CountersBackend is { } b ? $"; the backend alone: {b.BytesAllocatedPerCall / 1024:F1} KB, {b.ExceptionsPerCall:F2} exceptions" : "")}.");
        }
        s.AppendLine();
        s.AppendLine("| issue 15 target | limit | measured | |");
        s.AppendLine("|---|---|---|---|");
        foreach (var t in targets)
        {
            s.AppendLine(C, $"| {t.What} | {t.Limit} | {t.Measured} | {(t.Pass is null ? "—" : t.Pass.Value ? "pass" : "**fail**")} |");
        }
        return s.ToString();
    }

    private static void Row(StringBuilder s, string label, Comparison c)
    {
        var b = c.Baseline;
        var g = c.Subject;
        s.AppendLine(C, $"| {label} | {b.CallsPerSecond:N0}/s · {b.MeanMs:F3} · {b.P50Ms:F3} · {b.P99Ms:F2} | {g.CallsPerSecond:N0}/s · {g.MeanMs:F3} · {g.P50Ms:F3} · {g.P99Ms:F2} | {c.AddedMs:+0.000;-0.000} ms (p50 {g.P50Ms - b.P50Ms:+0.000;-0.000}) | {c.ThroughputRatio:F2}× |");
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
