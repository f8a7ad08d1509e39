namespace MasterMcp.Backends;

/// <summary>A backend session used by one client call; disposing ends the call's claim on it (and closes a per-call session).</summary>
public sealed class BackendLease(BackendClient client, IDisposable? inFlight, BackendClient? owned) : IAsyncDisposable
{
    /// <summary>The backend session to send the call on.</summary>
    public BackendClient Client { get; } = client;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        inFlight?.Dispose();
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }
    }
}
