namespace MasterMcp.Auth;

/// <summary>The identity provider did not complete a login; the message is safe to show.</summary>
public sealed class UpstreamLoginException(string message) : Exception(message);
