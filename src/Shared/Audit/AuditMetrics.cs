using System.Diagnostics.Metrics;

namespace MasterMcp.Audit;

/// <summary>The audit trail's own counters, on the meter <c>MasterMcp.Audit</c>.</summary>
public sealed class AuditMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "MasterMcp.Audit";

    private readonly Counter<long> _dropped;
    private readonly Counter<long> _writeFailures;
    private long _droppedTotal;

    /// <summary>Creates the meter through the host's factory (one per container, so tests and hosts do not share counts).</summary>
    public AuditMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _dropped = meter.CreateCounter<long>("mastermcp.audit.dropped", "{event}", "Audit events not written to the table because its queue was full.");
        _writeFailures = meter.CreateCounter<long>("mastermcp.audit.write_failures", "{event}", "Audit events the table refused or could not be reached for.");
    }

    /// <summary>Events dropped so far by this instance.</summary>
    public long Dropped => Interlocked.Read(ref _droppedTotal);

    /// <summary>Counts one event dropped at a full queue; returns the total so far.</summary>
    public long OnDropped()
    {
        _dropped.Add(1);
        return Interlocked.Increment(ref _droppedTotal);
    }

    /// <summary>Counts one event the table did not take.</summary>
    public void OnWriteFailed() => _writeFailures.Add(1);
}
