namespace MasterMcp.Audit;

/// <summary>One audited action: who did what, how it ended, how long it took, and where to find its logs and trace.</summary>
public sealed record AuditEvent
{
    /// <summary>When the action ended.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    public required AuditAction Action { get; init; }

    public required AuditOutcome Outcome { get; init; }

    /// <summary>The person: the identity provider's subject (null when anonymous or auth is off).</summary>
    public string? Subject { get; init; }

    /// <summary>The identity provider that vouched for <see cref="Subject"/>.</summary>
    public string? Issuer { get; init; }

    /// <summary>The OAuth client acting for the person.</summary>
    public string? ClientId { get; init; }

    /// <summary>The backend server id the action concerned.</summary>
    public string? Backend { get; init; }

    /// <summary>The name (or resource URI) the client used.</summary>
    public string? PublicName { get; init; }

    /// <summary>The backend's own name (or URI) for it.</summary>
    public string? OriginalName { get; init; }

    /// <summary>The JSON-RPC error code of a failed MCP call.</summary>
    public int? ErrorCode { get; init; }

    /// <summary>Why it was refused, denied or failed (already cleared of token-looking values).</summary>
    public string? Reason { get; init; }

    /// <summary>Wall time of the action in milliseconds.</summary>
    public double DurationMs { get; init; }

    /// <summary>The W3C trace id of the request (also the response's X-Correlation-Id).</summary>
    public string? TraceId { get; init; }

    /// <summary>The gateway instance that handled it.</summary>
    public required string Instance { get; init; }

    /// <summary>The arguments as redacted JSON, only when <c>audit.include_arguments</c> is on.</summary>
    public string? Arguments { get; init; }
}
