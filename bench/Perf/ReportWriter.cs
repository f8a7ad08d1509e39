using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Perf;

/// <summary>One of issue 15's acceptance figures, measured.</summary>
internal sealed record Target(string What, string Limit, string Measured, bool? Pass);

/// <summary>Writes a run as Markdown (tables), JSON (everything, runs included) and SVG (latency percentiles, direct vs gateway).</summary>
internal static class ReportWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static (string Markdown, string Json, string Svg) Write(PerfReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var name = "perf-" + report.Mode;
        var md = Path.Combine(directory, name + ".md");
        var json = Path.Combine(directory, name + ".json");
        var svg = Path.Combine(directory, name + ".svg");
        var targets = Targets(report);
        File.WriteAllText(md, Markdown(report, targets, Path.GetFileName(svg)));
        File.WriteAllText(json, JsonSerializer.Serialize(new { report, targets }, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
        File.WriteAllText(svg, Svg(report));
        return (md, json, svg);
    }

    public static List<Target> Targets(PerfReport r)
    {
        var list = new List<Target>();
        var call1 = r.Anonymous.FirstOrDefault(c => c.Method == "tools/call" && c.Connections == 1);
        var call32 = r.Anonymous.FirstOrDefault(c => c.Method == "tools/call" && c.Connections == 32);
        if (call1 is not null)
        {
            list.Add(new("Added latency per tools/call, 1 connection (mean, gateway − direct)", "≤ 0.15 ms (goal 0.10)",
                $"{F(call1.AddedMs, 3)} ms (p50: {Signed(call1.Subject.P50Ms - call1.Baseline.P50Ms)} ms)", call1.AddedMs <= 0.15));
            list.Add(new("Gateway tools/call p99, 1 connection", "≤ 1 ms", F(call1.Subject.P99Ms, 2) + " ms", call1.Subject.P99Ms <= 1));
        }
        if (call32 is not null)
        {
            list.Add(new("Throughput at 32 connections, gateway ÷ direct", "≥ 0.35× (goal 0.45×)", F(call32.ThroughputRatio, 2) + "×", call32.ThroughputRatio >= 0.35));
        }
        if (r.Authenticated.FirstOrDefault(c => c.Connections == 1) is { } auth)
        {
            list.Add(new("Authenticated over anonymous, tools/call, 1 connection", "≤ 0.02 ms", $"{F(auth.AddedMs, 3)} ms (p50: {Signed(auth.Subject.P50Ms - auth.Baseline.P50Ms)} ms)", auth.AddedMs <= 0.02));
        }
        if (r.PerUser.FirstOrDefault(c => c.Connections == 1) is { } user)
        {
            list.Add(new("Per-user (delegate_oauth) over bypass_auth (a gateway without per-user backends), tools/call, 1 connection", "≤ 0.05 ms", $"{F(user.AddedMs, 3)} ms (p50: {Signed(user.Subject.P50Ms - user.Baseline.P50Ms)} ms)", user.AddedMs <= 0.05));
        }
        var (gs, gr) = StartupMedian(r, "gateway");
        var (ss, sr) = StartupMedian(r, "sdk-server");
        if (!double.IsNaN(gs) && !double.IsNaN(ss))
        {
            list.Add(new("Start to first answered tools/list, gateway ÷ minimal SDK server", "≤ 1.5×", $"{F(gs / ss, 2)}× ({F(gs, 2)} s vs {F(ss, 2)} s)", gs / ss <= 1.5));
            list.Add(new("RSS after the first list, gateway ÷ minimal SDK server", "≤ 1.15×", $"{F(gr / sr, 2)}× ({F(gr, 0)} vs {F(sr, 0)} MiB)", gr / sr <= 1.15));
        }
        if (r.CountersGateway is { } g)
        {
            list.Add(new("Exceptions per tools/call through the gateway (success path)", "0", F(g.ExceptionsPerCall, 2), g.ExceptionsPerCall < 0.005));
            list.Add(new("Bytes allocated per tools/call, gateway process", "report (floor ≈ 2× the SDK's ≈ 11 KB)", F(g.BytesAllocatedPerCall / 1024, 1) + " KB", null));
        }
        return list;
    }

    private static (double Seconds, double RssMiB) StartupMedian(PerfReport r, string server)
    {
        var s = r.Startup.Where(x => x.Server == server).ToList();
        return s.Count == 0 ? (double.NaN, double.NaN) : (Median(s.Select(x => x.Seconds)), Median(s.Select(x => x.RssMiB)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Markdown(PerfReport r, List<Target> targets, string svgName)
    {
        var s = new StringBuilder();
        s.AppendLine(C, $"# Gateway performance ({r.Mode} run, {r.StartedAt:yyyy-MM-dd HH:mm} UTC, {r.Seconds:F0} s)");
        s.AppendLine();
        s.AppendLine(C, $"Machine: {r.Machine.Summary}. {r.Settings}.");
        s.AppendLine("Gateway: Release build of the standalone Kestrel host (src/Functions), storage on Azurite, logging at warning; backend: bench/EchoServer (MCP C# SDK, Streamable HTTP, stateless, SSE answers).");
        s.AppendLine();
        if (targets.Count > 0)
        {
            s.AppendLine("## Issue 15 targets");
            s.AppendLine();
            s.AppendLine("| target | limit | measured | |");
            s.AppendLine("|---|---|---|---|");
            foreach (var t in targets)
            {
                s.AppendLine(C, $"| {t.What} | {t.Limit} | {t.Measured} | {(t.Pass is null ? "—" : t.Pass.Value ? "pass" : "**fail**")} |");
            }
            s.AppendLine();
        }
        if (r.Anonymous.Count > 0)
        {
            s.AppendLine("## Direct to the backend vs through the gateway (anonymous)");
            s.AppendLine();
            Table(s, r.Anonymous);
            s.AppendLine(C, $"![latency percentiles]({svgName})");
            s.AppendLine();
        }
        if (r.Authenticated.Count > 0 || r.AuthError is not null)
        {
            s.AppendLine("## Authenticated and per-user paths (tools/call)");
            s.AppendLine();
            if (r.AuthError is not null)
            {
                s.AppendLine(C, $"Not measured: {r.AuthError}");
                s.AppendLine();
            }
            Table(s, [.. r.Authenticated, .. r.PerUser, .. r.PerUserBeside]);
            s.AppendLine("Authenticated: a gateway in `gateway` auth mode with the echo backend only, the built-in authorization server's access token (obtained through the real OAuth flow) on every request. `bypass_auth` is that call; `delegate_oauth` is the same backend configured with per-user credentials in a second gateway (the user's backend token read from the vault on Azurite); `bypass_auth beside delegate_oauth` is the plain echo call in that second gateway, i.e. what having a per-user backend costs a user's other calls. The token-validation cache cannot be switched off from outside, so the uncached cost is not measured separately here (bench/Micro measures one validation).");
            s.AppendLine();
        }
        if (r.Startup.Count > 0)
        {
            s.AppendLine("## Startup and memory");
            s.AppendLine();
            s.AppendLine("| server | start → first answered tools/list (median) | runs | VmRSS after it (median) |");
            s.AppendLine("|---|---|---|---|");
            foreach (var server in new[] { "sdk-server", "gateway" })
            {
                var runs = r.Startup.Where(x => x.Server == server).ToList();
                if (runs.Count > 0)
                {
                    var (sec, rss) = StartupMedian(r, server);
                    s.AppendLine(C, $"| {(server == "gateway" ? "gateway (anonymous config, Azurite)" : "minimal C# SDK server (bench/EchoServer)")} | {sec:F3} s | {string.Join(", ", runs.Select(x => F(x.Seconds, 3)))} | {rss:F1} MiB |");
                }
            }
            s.AppendLine();
        }
        if (r.RssAfterLoad.Count > 0)
        {
            s.AppendLine(C, $"VmRSS after the direct-vs-gateway phase: {string.Join("; ", r.RssAfterLoad.Select(x => $"{x.Process} {x.RssMiB:F0} MiB after {x.MeasuredCalls:N0} measured calls (plus warm-ups)"))}.");
            s.AppendLine();
        }
        if (r.CountersGateway is not null)
        {
            s.AppendLine("## Runtime counters per tools/call (dotnet-counters, System.Runtime)");
            s.AppendLine();
            s.AppendLine("| process | calls | calls/s | allocated per call | exceptions per call | thread-pool work items per call | gen0 GCs per 1000 calls | exception types (per call) |");
            s.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var (label, c) in new[] { ("gateway (calls through it)", r.CountersGateway), ("backend alone (direct calls)", r.CountersBackend) })
            {
                if (c is not null)
                {
                    s.AppendLine(C, $"| {label} | {c.Calls} | {c.CallsPerSecond:F0} | {c.BytesAllocatedPerCall / 1024:F1} KB{(c.DroppedIntervals > 0 ? $" ({c.DroppedIntervals} glitched interval left out)" : "")} | {c.ExceptionsPerCall:F2} | {c.WorkItemsPerCall:F1} | {c.Gen0PerThousandCalls:F2} | {(c.ExceptionTypes.Count == 0 ? "none" : string.Join(", ", c.ExceptionTypes.Select(e => $"{e.Key} {e.Value:F2}")))} |");
                }
            }
            s.AppendLine();
        }
        if (r.Profile is not null)
        {
            s.AppendLine(C, $"## CPU sample of the gateway under tools/call load ({Path.GetFileName(r.Profile.Trace)})");
            s.AppendLine();
            s.AppendLine("```");
            foreach (var line in r.Profile.Top)
            {
                s.AppendLine(line);
            }
            s.AppendLine("```");
            s.AppendLine();
        }
        s.AppendLine("How to read: compare a gateway figure with the direct one of the same row (same run, same load). Added ms = mean latency through the gateway minus mean direct latency; ratio = gateway calls/s ÷ direct calls/s. Client, gateway and backend share the machine's cores, so at 32 connections the load generator and the backend compete with the gateway.");
        return s.ToString();
    }

    private static void Table(StringBuilder s, IEnumerable<Comparison> cells)
    {
        s.AppendLine("| request | conns | baseline | calls/s | mean | p50 | p90 | p99 | subject | calls/s | mean | p50 | p90 | p99 | added (mean) | ratio (calls/s) |");
        s.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in cells)
        {
            var b = c.Baseline;
            var g = c.Subject;
            s.AppendLine(C, $"| {c.Method} | {c.Connections} | {c.BaselineLabel} | {b.CallsPerSecond:F0} | {b.MeanMs:F3} | {b.P50Ms:F3} | {b.P90Ms:F3} | {b.P99Ms:F2} | {c.SubjectLabel} | {g.CallsPerSecond:F0} | {g.MeanMs:F3} | {g.P50Ms:F3} | {g.P90Ms:F3} | {g.P99Ms:F2} | {Signed(c.AddedMs)} ms | {c.ThroughputRatio:F2}× |");
            if (b.Errors + g.Errors > 0)
            {
                s.AppendLine(C, $"| | | errors | {b.Errors} | | | | | | {g.Errors} | {WebUtility.HtmlEncode(g.FirstError ?? b.FirstError)} | | | | | |");
            }
        }
        s.AppendLine();
    }

    /// <summary>Two panels (1 and 32 connections), each with its own linear scale: p50/p90/p99 bars per request, direct and gateway.</summary>
    private static string Svg(PerfReport r)
    {
        const int width = 820, rowHeight = 30, left = 190, right = 90, top = 46, panelGap = 40;
        var panels = r.Anonymous.GroupBy(c => c.Connections).OrderBy(g => g.Key).ToList();
        var rows = panels.Sum(p => p.Count() * 2);
        var height = top + rows * rowHeight + panels.Count * panelGap + 20;
        var s = new StringBuilder();
        s.AppendLine(C, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">""");
        s.AppendLine(C, $"""<rect width="{width}" height="{height}" fill="white"/>""");
        s.AppendLine(C, $"""<text x="10" y="20" font-size="15" font-weight="bold">Latency percentiles, direct vs through the gateway ({r.Mode} run)</text>""");
        s.AppendLine(C, $"""<text x="10" y="36" fill="#555">{WebUtility.HtmlEncode(r.Machine.Summary)}</text>""");
        string[] colours = ["#4c78a8", "#f58518", "#e45756"];
        string[] names = ["p50", "p90", "p99"];
        for (var i = 0; i < 3; i++)
        {
            s.AppendLine(C, $"""<rect x="{width - 230 + i * 70}" y="8" width="12" height="12" fill="{colours[i]}"/><text x="{width - 214 + i * 70}" y="19">{names[i]}</text>""");
        }
        var y = top;
        foreach (var panel in panels)
        {
            y += panelGap;
            var max = panel.Max(c => Math.Max(c.Baseline.P99Ms, c.Subject.P99Ms));
            var scale = (width - left - right) / (max <= 0 || double.IsNaN(max) ? 1 : max);
            s.AppendLine(C, $"""<text x="10" y="{y - 14}" font-weight="bold">{panel.Key} connection{(panel.Key == 1 ? "" : "s")} (ms, scale 0–{max:F2})</text>""");
            foreach (var cell in panel)
            {
                foreach (var (label, result) in new[] { ("direct", cell.Baseline), ("gateway", cell.Subject) })
                {
                    s.AppendLine(C, $"""<text x="10" y="{y + 18}">{cell.Method} · {label}</text>""");
                    double[] values = [result.P50Ms, result.P90Ms, result.P99Ms];
                    for (var i = 0; i < 3; i++)
                    {
                        var w = double.IsNaN(values[i]) ? 0 : Math.Max(1, values[i] * scale);
                        var by = y + 3 + i * 8;
                        s.AppendLine(C, $"""<rect x="{left}" y="{by}" width="{w:F1}" height="7" fill="{colours[i]}"/>""");
                        s.AppendLine(C, $"""<text x="{left + w + 4:F1}" y="{by + 7}" font-size="9">{values[i]:F2}</text>""");
                    }
                    y += rowHeight;
                }
            }
            s.AppendLine(C, $"""<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#999"/>""");
        }
        s.AppendLine("</svg>");
        return s.ToString();
    }

    private static string F(double value, int digits) => value.ToString("F" + digits.ToString(C), C);

    private static string Signed(double value) => value.ToString("+0.000;-0.000", C);
}
