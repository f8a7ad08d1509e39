namespace MasterMcp.Backends;

/// <summary>
/// Counts requests the gateway has sent to backends and not yet seen answered, failed or cancelled. A count that does not
/// return to zero after clients cancel or drop their calls means a backend request leaked; tests and /capabilities read it.
/// OpenTelemetry reads the same counts: <c>master_mcp.backend.requests.active</c> (<see cref="Observability.GatewayMetricsObserver"/>)
/// and <c>master_mcp.backend.requests.cancelled</c>.
/// </summary>
public sealed class BackendRequestTracker
{
    private long _pending;
    private long _started;
    private long _cancelled;

    /// <summary>Backend requests in flight now.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Backend requests started since the gateway started.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Backend requests that ended because the client cancelled them (or went away).</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    /// <summary>Counts one backend request until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref _pending);
        return new Scope(this);
    }

    /// <summary>One counted backend request.</summary>
    public readonly struct Scope(BackendRequestTracker tracker) : IDisposable
    {
        /// <summary>Records that the request ended through cancellation (still call <see cref="Dispose"/>).</summary>
        public void MarkCancelled()
        {
            Interlocked.Increment(ref tracker._cancelled);
            Observability.GatewayMetrics.BackendRequestsCancelled.Add(1);
        }

        /// <inheritdoc />
        public void Dispose() => Interlocked.Decrement(ref tracker._pending);
    }
}
