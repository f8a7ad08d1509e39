namespace MasterMcp.Auth;

/// <summary>An upstream login in progress (keyed by the hash of its state).</summary>
public sealed record LoginState(string Provider, string? PendingId, string ReturnUrl, string Verifier, string Nonce, string BindingHash);
