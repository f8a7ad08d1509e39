using System.Globalization;
using System.Threading.Channels;
using MasterMcp.Configuration;
using MasterMcp.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Audit;

/// <summary>
/// Writes audit events to the audit table off the request path: requests put events into a bounded queue
/// (<c>audit.queue_capacity</c>) without ever waiting; when it is full the event is dropped and counted
/// (<c>mastermcp.audit.dropped</c>). One reader writes the rows, each expiring <c>audit.retention_days</c> after its event.
/// Rows are partitioned by UTC hour (<c>yyyyMMddHH</c>) and keyed by time, so a time range is a range of partitions.
/// </summary>
public sealed partial class AuditTableWriter : IHostedService, IDisposable
{
    /// <summary>The logical table name (the storage prefix is prepended).</summary>
    public const string TableName = "audit";

    private readonly Channel<AuditEvent> _queue;
    private readonly IStoreFactory _stores;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditTableWriter> _logger;
    private readonly CancellationTokenSource _abort = new();
    private Task _loop = Task.CompletedTask;

    public AuditTableWriter(IStoreFactory stores, IOptionsMonitor<GatewayOptions> options, AuditMetrics metrics, TimeProvider time, ILogger<AuditTableWriter> logger)
    {
        _stores = stores;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        // Wait mode: TryWrite never waits, it answers false when the queue is full (and the event is counted as dropped).
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(options.CurrentValue.Audit.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>Queues an event for the table; false (and counted) when the queue is full.</summary>
    public bool TryEnqueue(AuditEvent auditEvent)
    {
        if (_queue.Writer.TryWrite(auditEvent))
        {
            return true;
        }
        var dropped = _metrics.OnDropped();
        // Once at the first drop, then every 1000: a full queue must not flood the log it is there to spare.
        if (dropped == 1 || dropped % 1000 == 0)
        {
            LogDropped(_logger, dropped, _options.CurrentValue.Audit.QueueCapacity);
        }
        return false;
    }

    /// <summary>Removes audit rows past their retention; returns how many.</summary>
    public Task<int> DeleteExpiredAsync(CancellationToken cancellationToken) =>
        _stores.GetTable(TableName).DeleteExpiredAsync(_time.GetUtcNow(), cancellationToken);

    /// <summary>The partition of an event: its UTC hour.</summary>
    public static string PartitionOf(DateTimeOffset timestamp) => timestamp.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not a BackgroundService: its loop would not start at all if the host stopped first, and events already queued
        // must still be written on shutdown.
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // What is queued still gets written, until the host's shutdown deadline aborts the writes.
        _queue.Writer.TryComplete();
        await using var abort = cancellationToken.Register(_abort.Cancel);
        await _loop;
    }

    /// <inheritdoc />
    public void Dispose() => _abort.Dispose();

    private async Task RunAsync()
    {
        await foreach (var auditEvent in _queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            await WriteAsync(auditEvent, _abort.Token);
        }
    }

    private async Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            _metrics.OnWriteFailed();
            return;
        }
        var retention = TimeSpan.FromDays(_options.CurrentValue.Audit.RetentionDays);
        // Time first (ascending within the hour), then randomness so that events of the same tick never collide.
        var rowKey = auditEvent.Timestamp.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        try
        {
            await _stores.GetTable(TableName).AddAsync(PartitionOf(auditEvent.Timestamp), rowKey, AuditRow.From(auditEvent), AuditJsonContext.Default.AuditRow,
                auditEvent.Timestamp + retention, cancellationToken);
        }
        catch (Exception ex)
        {
            // The event is in the log already; the table misses it. Counted, and logged without the event's content.
            _metrics.OnWriteFailed();
            LogWriteFailed(_logger, AuditNames.Of(auditEvent.Action), ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit queue full (audit.queue_capacity {Capacity}): events are logged but not written to the audit table; {Dropped} dropped so far")]
    private static partial void LogDropped(ILogger logger, long dropped, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An audit event ({AuditAction}) was not written to the audit table: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string auditAction, string reason);
}
