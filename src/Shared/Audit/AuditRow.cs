namespace MasterMcp.Audit;

/// <summary>An <see cref="AuditEvent"/> as stored in the audit table (action and outcome in their wire spelling).</summary>
public sealed record AuditRow
{
    public required DateTimeOffset Timestamp { get; init; }
    public required string Action { get; init; }
    public required string Outcome { get; init; }
    public string? Subject { get; init; }
    public string? Issuer { get; init; }
    public string? ClientId { get; init; }
    public string? Backend { get; init; }
    public string? PublicName { get; init; }
    public string? OriginalName { get; init; }
    public int? ErrorCode { get; init; }
    public string? Reason { get; init; }
    public double DurationMs { get; init; }
    public string? TraceId { get; init; }
    public required string Instance { get; init; }
    public string? Arguments { get; init; }

    /// <summary>The row of an event.</summary>
    public static AuditRow From(AuditEvent e) => new()
    {
        Timestamp = e.Timestamp,
        Action = AuditNames.Of(e.Action),
        Outcome = AuditNames.Of(e.Outcome),
        Subject = e.Subject,
        Issuer = e.Issuer,
        ClientId = e.ClientId,
        Backend = e.Backend,
        PublicName = e.PublicName,
        OriginalName = e.OriginalName,
        ErrorCode = e.ErrorCode,
        Reason = e.Reason,
        DurationMs = e.DurationMs,
        TraceId = e.TraceId,
        Instance = e.Instance,
        Arguments = e.Arguments,
    };
}
