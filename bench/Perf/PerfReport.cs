using System.Globalization;
using System.Runtime.InteropServices;

namespace Perf;

/// <summary>Everything one run measured.</summary>
internal sealed class PerfReport
{
    public required string Mode { get; init; }
    public required Machine Machine { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string Settings { get; init; }
    public double Seconds { get; set; }
    public List<StartupSample> Startup { get; } = [];
    public List<RssSample> RssAfterLoad { get; } = [];
    public List<Comparison> Anonymous { get; } = [];
    public List<Comparison> Authenticated { get; } = [];
    public List<Comparison> PerUser { get; } = [];
    public List<Comparison> PerUserBeside { get; } = [];
    public CounterResult? CountersGateway { get; set; }
    public CounterResult? CountersBackend { get; set; }
    public ProfileResult? Profile { get; set; }
    public string? AuthError { get; set; }
}

/// <summary>VmRSS of a long-running process of the run after it served load, and how many calls through it were measured by then.</summary>
internal sealed record RssSample(string Process, [property: System.Text.Json.Serialization.JsonPropertyName("rss_mib")] double RssMiB, long MeasuredCalls);

/// <summary>One cell: the same request at the same concurrency on a baseline and on a subject, medians of the runs.</summary>
internal sealed record Comparison(string Method, int Connections, string BaselineLabel, LoadResult Baseline, string SubjectLabel, LoadResult Subject,
    IReadOnlyList<LoadResult> BaselineRuns, IReadOnlyList<LoadResult> SubjectRuns)
{
    /// <summary>Added mean latency per call, in ms.</summary>
    public double AddedMs => Subject.MeanMs - Baseline.MeanMs;

    /// <summary>Subject's calls/s over the baseline's.</summary>
    public double ThroughputRatio => Subject.CallsPerSecond / Baseline.CallsPerSecond;

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Method} x{Connections}: {BaselineLabel} {Baseline.CallsPerSecond:F0}/s mean {Baseline.MeanMs:F3} p99 {Baseline.P99Ms:F2} ms | {SubjectLabel} {Subject.CallsPerSecond:F0}/s mean {Subject.MeanMs:F3} p99 {Subject.P99Ms:F2} ms | {AddedMs:+0.000;-0.000} ms, {ThroughputRatio:F2}x{(Baseline.Errors + Subject.Errors > 0 ? $" ERRORS {Baseline.Errors + Subject.Errors}: {Subject.FirstError ?? Baseline.FirstError}" : "")}");
}

/// <summary>The machine the figures come from.</summary>
internal sealed record Machine(int Cores, string Cpu, double MemoryGiB, string Runtime, string Os)
{
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"{Cores} cores, {Cpu}, {MemoryGiB:F0} GiB RAM, {Runtime}, {Os}");

    public static Machine Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var kib = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new Machine(Environment.ProcessorCount, cpu, double.Parse(kib, CultureInfo.InvariantCulture) / 1024 / 1024,
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription);
    }
}
