namespace MasterMcp.Backends;

/// <summary>The connection state of a backend, as shown in /ready and /capabilities.</summary>
public enum BackendState
{
    NotConnected,
    Connecting,
    Connected,
    Failed,
}
