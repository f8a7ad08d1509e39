namespace MasterMcp.Net;

/// <summary>The SSRF guard refused to connect: the host resolves only to special-purpose addresses (or not at all).</summary>
public sealed class RefusedAddressException(string message) : Exception(message);
