using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Perf;

/// <summary>Runtime counters of one process over a fixed number of calls, per call.</summary>
internal sealed record CounterResult(long Calls, double CallsPerSecond, double BytesAllocatedPerCall, double ExceptionsPerCall, double Gen0PerThousandCalls,
    double WorkItemsPerCall, IReadOnlyDictionary<string, double> ExceptionTypes, int DroppedIntervals)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Calls} calls at {CallsPerSecond:F0}/s: {BytesAllocatedPerCall / 1024:F1} KB allocated, {ExceptionsPerCall:F2} exceptions, {WorkItemsPerCall:F1} thread-pool work items per call; {Gen0PerThousandCalls:F2} gen0 GCs per 1000 calls{(DroppedIntervals > 0 ? $" ({DroppedIntervals} glitched allocation interval(s) left out)" : "")}{(ExceptionTypes.Count == 0 ? "" : "; exceptions: " + string.Join(", ", ExceptionTypes.Select(e => $"{e.Key} {e.Value:F0}")))}");
}

/// <summary>
/// dotnet-counters (installed by bench/perf.sh under bench/.tools) on a process while a fixed number of calls runs:
/// the System.Runtime meter's rates, summed over the whole session (1 s intervals, idle seconds before and after),
/// divided by the calls. The idle seconds add a little; they are not subtracted.
/// </summary>
internal sealed partial class Counters(string tool, string work)
{
    public async Task<CounterResult> PerCallAsync(int pid, long calls, double expectedSeconds, Func<Task<LoadResult>> load)
    {
        // A window too short for the calls (a busy machine) is tried again, longer.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await OnceAsync(pid, calls, expectedSeconds, load);
            }
            catch (WindowTooShortException) when (attempt < 3)
            {
                expectedSeconds *= 4;
            }
        }
    }

    private async Task<CounterResult> OnceAsync(int pid, long calls, double expectedSeconds, Func<Task<LoadResult>> load)
    {
        if (!File.Exists(tool))
        {
            throw new InvalidOperationException($"{tool} is missing: bench/perf.sh installs it (dotnet tool install dotnet-counters --tool-path bench/.tools).");
        }
        var output = Path.Combine(work, $"counters-{pid}-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", "System.Runtime", "--format", "json", "-o", output, "--refresh-interval", "1" })
        {
            start.ArgumentList.Add(arg);
        }
        // --duration makes dotnet-counters end by itself and flush the whole file (an interrupted one loses its tail).
        var window = TimeSpan.FromSeconds(Math.Min(300, Math.Ceiling(5 + 1.5 * expectedSeconds)));
        start.ArgumentList.Add("--duration");
        start.ArgumentList.Add(window.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = Task.Run(async () =>
        {
            var text = new System.Text.StringBuilder();
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                text.AppendLine(line);
                if (line.Contains("Starting a counter session", StringComparison.Ordinal))
                {
                    started.TrySetResult();
                }
            }
            started.TrySetResult();
            return text.ToString();
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Let the first intervals pass idle, so the session is surely live when the calls begin.
        await Task.Delay(2500);
        var result = await load();
        var inWindow = !process.HasExited;
        using (var timeout = new CancellationTokenSource(window + TimeSpan.FromSeconds(30)))
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        if (!inWindow || !File.Exists(output))
        {
            throw new WindowTooShortException($"dotnet-counters ended before the {calls} calls did (window {window}): {await stdout} {await stderr}");
        }
        // The first value of each rate can hold everything since the process started (seen: a backend that had served
        // the whole run showed its lifetime allocations there); it falls in the idle lead, so it is left out.
        var events = EventRegex().Matches(await File.ReadAllTextAsync(output))
            .Select(m => (Name: m.Groups["name"].Value, Tags: m.Groups["tags"].Value, Value: double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .GroupBy(e => (e.Name, e.Tags))
            .SelectMany(g => g.Skip(1))
            .ToList();
        // Seen in full runs: one interval of dotnet.gc.heap.total_allocated reporting about the process's lifetime
        // allocations (5 GB in one second, next to 30-140 MB in its neighbours). No process here allocates 2 GB in a
        // second, so such an interval is a counter glitch: left out and counted.
        const double GlitchBytes = 2e9;
        var glitches = events.RemoveAll(e => e.Name.StartsWith("dotnet.gc.heap.total_allocated ", StringComparison.Ordinal) && e.Value > GlitchBytes);
        double Sum(string name, string? tag = null) => events
            .Where(e => e.Name.StartsWith(name + " ", StringComparison.Ordinal) && (tag is null || e.Tags.Contains(tag, StringComparison.Ordinal)))
            .Sum(e => e.Value);
        var types = events
            .Where(e => e.Name.StartsWith("dotnet.exceptions ", StringComparison.Ordinal))
            .GroupBy(e => e.Tags.Replace("error.type=", "", StringComparison.Ordinal))
            .Where(g => g.Sum(e => e.Value) > 0)
            .ToDictionary(g => g.Key.Length == 0 ? "(untyped)" : g.Key, g => g.Sum(e => e.Value) / Math.Max(1, result.Calls));
        var n = Math.Max(1, result.Calls);
        return new CounterResult(result.Calls, result.CallsPerSecond,
            Sum("dotnet.gc.heap.total_allocated") / n,
            Sum("dotnet.exceptions") / n,
            Sum("dotnet.gc.collections", "gen0") * 1000 / n,
            Sum("dotnet.thread_pool.work_item.count") / n,
            types,
            glitches);
    }

    [GeneratedRegex("\"name\": \"(?<name>[^\"]*)\",\\s*\"tags\": \"(?<tags>[^\"]*)\",\\s*\"counterType\": \"Rate\".*?\"value\": (?<value>[-0-9.eE+]+)", RegexOptions.Singleline)]
    private static partial Regex EventRegex();
}

/// <summary>The counter session ended before the calls did.</summary>
internal sealed class WindowTooShortException(string message) : Exception(message);
