using System.Diagnostics;
using System.Globalization;

namespace Perf;

/// <summary>Where a CPU sample went and its top methods.</summary>
internal sealed record ProfileResult(string Trace, IReadOnlyList<string> Top);

/// <summary>
/// dotnet-trace (bench/.tools) samples the gateway's thread stacks (~100 Hz, profile dotnet-sampled-thread-time) while
/// load runs, then <c>dotnet-trace report … topN</c> lists the methods with the most exclusive samples. Waiting threads
/// are sampled too; their wait frames (blocking reads, Monitor.Wait, the thread pool's semaphore) are left out of the list.
/// </summary>
internal sealed class Profiler(string tool, string outDirectory)
{
    public async Task<ProfileResult> SampleAsync(int pid, TimeSpan duration, Func<Task<LoadResult>> load)
    {
        if (!File.Exists(tool))
        {
            throw new InvalidOperationException($"{tool} is missing: bench/perf.sh installs it (dotnet tool install dotnet-trace --tool-path bench/.tools).");
        }
        Directory.CreateDirectory(outDirectory);
        var trace = Path.Combine(outDirectory, $"gateway-{DateTime.UtcNow:yyyyMMdd-HHmmss}.nettrace");
        var span = duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        var collect = Run(tool, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-common,dotnet-sampled-thread-time", "--duration", span, "-o", trace]);
        await Task.Delay(1000);
        await load();
        var (_, collectOutput) = await collect;
        if (!File.Exists(trace))
        {
            throw new InvalidOperationException("dotnet-trace wrote no trace: " + collectOutput);
        }
        var (_, report) = await Run(tool, ["report", trace, "topN", "-n", "80"]);
        // Thread-time sampling also samples idle threads: leave their wait frames out of the list.
        var lines = report.Replace("Top 80 Functions", "Top methods", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !WaitFrames.Any(w => l.Contains(w, StringComparison.Ordinal))).Take(26).ToList();
        return new ProfileResult(trace, lines);
    }

    private static readonly string[] WaitFrames =
    [
        "Interop+Sys.Read(", "WaitHandle.WaitOne", "LowLevelLifoSemaphore.Wait", "Monitor.Wait(", "ManualResetEventSlim.Wait(",
        "WorkerThread.WorkerThreadStart", "Interop+Sys.WaitForSocketEvents", "Thread.Sleep", "SemaphoreSlim.Wait(",
    ];

    private static async Task<(int Code, string Output)> Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
