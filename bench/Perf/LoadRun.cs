using System.Diagnostics;

namespace Perf;

/// <summary>What one load run measured: calls per second and latency percentiles in milliseconds.</summary>
internal sealed record LoadResult(long Calls, long Errors, double Seconds, double CallsPerSecond, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs, string? FirstError)
{
    /// <summary>The median of each figure over several runs (each figure on its own).</summary>
    public static LoadResult Median(IReadOnlyList<LoadResult> runs)
    {
        double M(Func<LoadResult, double> f)
        {
            var v = runs.Select(f).Order().ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        return new LoadResult(
            (long)M(r => r.Calls), runs.Sum(r => r.Errors), M(r => r.Seconds), M(r => r.CallsPerSecond), M(r => r.MeanMs),
            M(r => r.P50Ms), M(r => r.P90Ms), M(r => r.P99Ms), M(r => r.MaxMs), runs.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
    }
}

/// <summary>
/// The load generator: <c>connections</c> workers, each with its own MCP session, sending one request after the other
/// (closed loop) for a warm-up and then a measured time. Raw HTTP/1.1 keep-alive over one pooled client per target.
/// </summary>
internal static class LoadRun
{
    /// <summary>
    /// Runs the load. Timed runs count the calls that complete after the warm-up (a slow call begun during the warm-up
    /// counts when it ends) and go on past the set time until at least one call per connection was measured (at most
    /// 60 s), so a slow path still yields figures; calls/s divide by the time actually measured.
    /// </summary>
    public static async Task<LoadResult> RunAsync(McpTarget target, Func<long, string> body, int connections, TimeSpan warmup, TimeSpan duration, long? fixedCalls = null)
    {
        await target.EnsureSessionsAsync(connections);
        var samples = new List<double>[connections];
        long errors = 0;
        long measured = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var endAt = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var hardEnd = measureFrom + (long)(Math.Max(60, duration.TotalSeconds) * Stopwatch.Frequency);
        long remaining = fixedCalls ?? long.MaxValue;
        var workers = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            var own = samples[i] = new List<double>(fixedCalls is null ? 65536 : 1024);
            var session = target.Session(i);
            long id = i * 1_000_000_000L;
            while (true)
            {
                if (fixedCalls is not null)
                {
                    if (Interlocked.Decrement(ref remaining) < 0)
                    {
                        break;
                    }
                }
                else
                {
                    var now = Stopwatch.GetTimestamp();
                    if (now >= endAt && (Interlocked.Read(ref measured) >= connections || now >= hardEnd))
                    {
                        break;
                    }
                }
                var json = body(++id);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await target.CallAsync(session, json);
                }
                catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.Message, null);
                    continue;
                }
                var t1 = Stopwatch.GetTimestamp();
                if (fixedCalls is not null || t1 >= measureFrom)
                {
                    own.Add((t1 - t0) * 1000.0 / Stopwatch.Frequency);
                    Interlocked.Increment(ref measured);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(fixedCalls is null ? measureFrom : started).TotalSeconds;
        var all = samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        double P(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, Math.Max(0, (int)Math.Ceiling(p * all.Length) - 1))];
        return new LoadResult(all.Length, errors, seconds, all.Length / seconds, all.Length == 0 ? double.NaN : all.Average(),
            P(0.50), P(0.90), P(0.99), all.Length == 0 ? double.NaN : all[^1], firstError);
    }
}
