namespace MasterMcp.Audit;

/// <summary>What an audit event records.</summary>
public enum AuditAction
{
    /// <summary>An MCP <c>tools/call</c>.</summary>
    ToolCall,

    /// <summary>An MCP <c>resources/read</c>.</summary>
    ResourceRead,

    /// <summary>An MCP <c>prompts/get</c>.</summary>
    PromptGet,

    /// <summary>The token endpoint issuing tokens from an authorization code or a refresh token (or refusing to).</summary>
    OAuthGrant,

    /// <summary>A user approving or denying a client on the consent page.</summary>
    Consent,

    /// <summary>A user connecting their account at a per-user backend.</summary>
    BackendConnect,

    /// <summary>A grant (token family) revoked, or a user's backend connection removed.</summary>
    Revocation,

    /// <summary>An admin action through the admin console or API (disable/enable/reconnect a backend, delete a client, revoke a connection).</summary>
    Admin,
}
