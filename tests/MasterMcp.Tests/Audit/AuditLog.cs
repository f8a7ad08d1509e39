using MasterMcp.Audit;
using MasterMcp.Tests.Credentials;

namespace MasterMcp.Tests.Audit;

/// <summary>The audit events in a <see cref="LogCapture"/>: each entry of the category MasterMcp.Audit with its structured fields.</summary>
public sealed record AuditLog(string Text, IReadOnlyDictionary<string, string> Fields)
{
    private const string Prefix = "Information " + AuditTrail.Category + ": ";

    public string? this[string field] => Fields.TryGetValue(field, out var value) ? value : null;

    public string Action => this["AuditAction"]!;

    public string Outcome => this["AuditOutcome"]!;

    /// <summary>Every audit entry captured so far, in order.</summary>
    public static List<AuditLog> In(LogCapture logs) =>
        [.. logs.Entries.Where(e => e.StartsWith(Prefix, StringComparison.Ordinal)).Select(Parse)];

    private static AuditLog Parse(string entry)
    {
        var parts = entry.Split(" | ");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            fields[part[..eq]] = part[(eq + 1)..];
        }
        return new AuditLog(entry, fields);
    }
}
