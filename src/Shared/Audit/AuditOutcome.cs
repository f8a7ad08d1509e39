namespace MasterMcp.Audit;

/// <summary>How an audited action ended.</summary>
public enum AuditOutcome
{
    /// <summary>Done as asked.</summary>
    Ok,

    /// <summary>Attempted and failed: a backend's JSON-RPC error, a tool error result, a transport failure.</summary>
    Error,

    /// <summary>Not attempted: unknown name, backend unavailable, the user must connect their account first.</summary>
    Refused,

    /// <summary>Refused on authority: a user denied consent, a token request with an invalid grant or client.</summary>
    Denied,

    /// <summary>Suspended, not failed: a 2026-07-28 call answered with an input-required result (the backend asked the
    /// client something); the client's retry is audited as its own event.</summary>
    InputRequired,
}
