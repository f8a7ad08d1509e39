using System.Text;

namespace MasterMcp.Tests.Conformance;

/// <summary>Everything one run of the suite's server side reported, keyed so that two runs diff easily.</summary>
public sealed record ConformanceRunResult
{
    /// <summary>The MCP endpoint the suite was pointed at.</summary>
    public required string Url { get; init; }

    /// <summary>Scenarios in the order the suite lists them.</summary>
    public required IReadOnlyList<ConformanceScenarioResult> Scenarios { get; init; }

    /// <summary>The CLI's exit code (non-zero when any check failed; warnings do not count there).</summary>
    public required int ExitCode { get; init; }

    public required string Stdout { get; init; }

    public required string Stderr { get; init; }

    /// <summary>Folder holding the suite's per-scenario checks.json files.</summary>
    public required string OutputDirectory { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Every check in report order.</summary>
    public IEnumerable<ConformanceCheck> Checks => Scenarios.SelectMany(s => s.Checks);

    /// <summary>Every check by <see cref="ConformanceCheck.Key"/> (<c>scenario/id</c>).</summary>
    public IReadOnlyDictionary<string, ConformanceCheck> ChecksByKey =>
        field ??= Checks.ToDictionary(c => c.Key, StringComparer.Ordinal);

    /// <summary>The verdicts (everything but INFO traces) as <c>scenario/id → status</c>, the shape to compare two runs by.</summary>
    public IReadOnlyDictionary<string, string> Verdicts =>
        Checks.Where(c => !c.IsInformational).ToDictionary(c => c.Key, c => c.Status, StringComparer.Ordinal);

    /// <summary>Lines describing every verdict that differs between <paramref name="baseline"/> and <paramref name="other"/>.</summary>
    public static IReadOnlyList<string> DiffVerdicts(ConformanceRunResult baseline, ConformanceRunResult other)
    {
        var left = baseline.Verdicts;
        var right = other.Verdicts;
        return left.Keys.Union(right.Keys)
            .Order(StringComparer.Ordinal)
            .Select(key => (key, a: left.GetValueOrDefault(key, "(absent)"), b: right.GetValueOrDefault(key, "(absent)")))
            .Where(t => t.a != t.b)
            .Select(t => $"{t.key}: {t.a} -> {t.b}")
            .ToList();
    }

    /// <summary>A fixed-width table of scenario, check, status and message (INFO traces only when asked).</summary>
    public string FormatTable(bool includeInformational = false)
    {
        var rows = Checks.Where(c => includeInformational || !c.IsInformational).ToList();
        var scenarioWidth = Math.Max("scenario".Length, rows.Select(r => r.Scenario.Length).DefaultIfEmpty().Max());
        var idWidth = Math.Max("check".Length, rows.Select(r => r.Key.Length - r.Scenario.Length - 1).DefaultIfEmpty().Max());

        var text = new StringBuilder();
        text.AppendLine($"{"scenario".PadRight(scenarioWidth)}  {"check".PadRight(idWidth)}  {"status",-7}  message");
        foreach (var row in rows)
        {
            var id = row.Key[(row.Scenario.Length + 1)..];
            text.AppendLine($"{row.Scenario.PadRight(scenarioWidth)}  {id.PadRight(idWidth)}  {row.Status,-7}  {row.Message}");
        }

        return text.ToString();
    }
}
