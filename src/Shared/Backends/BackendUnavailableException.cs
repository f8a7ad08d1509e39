namespace MasterMcp.Backends;

/// <summary>A backend cannot be reached now. The message names the backend and the reason, never a credential.</summary>
public sealed class BackendUnavailableException(string backendId, string reason, Exception? inner = null)
    : Exception($"Backend '{backendId}' is unavailable: {reason}", inner)
{
    public string BackendId { get; } = backendId;
}
