namespace MasterMcp.Audit;

/// <summary>The wire spelling of <see cref="AuditAction"/> and <see cref="AuditOutcome"/> in logs and table rows.</summary>
public static class AuditNames
{
    /// <summary>The MCP method, or a dotted name for the OAuth and connection actions.</summary>
    public static string Of(AuditAction action) => action switch
    {
        AuditAction.ToolCall => "tools/call",
        AuditAction.ResourceRead => "resources/read",
        AuditAction.PromptGet => "prompts/get",
        AuditAction.OAuthGrant => "oauth.grant",
        AuditAction.Consent => "oauth.consent",
        AuditAction.BackendConnect => "backend.connect",
        AuditAction.Revocation => "revocation",
        AuditAction.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>ok, error, refused or denied.</summary>
    public static string Of(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Ok => "ok",
        AuditOutcome.Error => "error",
        AuditOutcome.Refused => "refused",
        AuditOutcome.Denied => "denied",
        AuditOutcome.InputRequired => "input_required",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
