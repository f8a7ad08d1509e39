namespace MasterMcp.Admin;

/// <summary>How an admin reached the console or API.</summary>
public enum AdminVia
{
    /// <summary>A bearer access token with the <c>admin</c> scope (API).</summary>
    Bearer,

    /// <summary>The gateway's browser login (console, or the API from the console's pages).</summary>
    Browser,

    /// <summary>Development with <c>auth.mode none</c>, from a loopback address.</summary>
    Loopback,
}

/// <summary>The admin behind a request: who they are (for audit events) and how they signed in.</summary>
public sealed record AdminCaller(string Subject, string? Issuer, string? ClientId, AdminVia Via);
