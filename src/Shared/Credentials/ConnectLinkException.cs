using ModelContextProtocol;

namespace MasterMcp.Credentials;

/// <summary>For clients without URL elicitation: the user must connect; tools/call turns this into a tool error result carrying the link.</summary>
public sealed class ConnectLinkException(string message) : McpProtocolException(message, McpErrorCode.InvalidRequest);
