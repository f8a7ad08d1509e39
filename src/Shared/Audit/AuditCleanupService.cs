using MasterMcp.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Audit;

/// <summary>
/// On the standalone host, removes audit rows past <c>audit.retention_days</c> every hour while <c>audit.table</c> is on
/// (the Functions host runs the <c>audit-cleanup</c> timer trigger instead).
/// </summary>
public sealed partial class AuditCleanupService(AuditTableWriter writer, IOptionsMonitor<GatewayOptions> options, TimeProvider time, ILogger<AuditCleanupService> logger) : BackgroundService
{
    /// <summary>How often expired rows are looked for.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                await CleanAsync(writer, options.CurrentValue, logger, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Storage.StorageUnavailableException ex)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>One cleanup pass (both hosts): nothing when the audit table is off.</summary>
    public static async Task CleanAsync(AuditTableWriter writer, GatewayOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Audit.Table)
        {
            return;
        }
        var deleted = await writer.DeleteExpiredAsync(cancellationToken);
        LogCleaned(logger, deleted, options.Audit.RetentionDays);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit cleanup removed {Count} row(s) older than {RetentionDays} day(s)")]
    private static partial void LogCleaned(ILogger logger, int count, int retentionDays);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit cleanup skipped: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
