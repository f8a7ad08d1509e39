namespace MasterMcp.Auth;

/// <summary>A Client ID Metadata Document could not be used; the message says why (shown on the error page).</summary>
public sealed class ClientMetadataDocumentException(string message, Exception? inner = null) : Exception(message, inner);
