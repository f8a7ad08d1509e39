using MasterMcp.Audit;
using MasterMcp.Configuration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Functions;

/// <summary>Audit retention under the Functions host (on Kestrel <see cref="AuditCleanupService"/> does the same).</summary>
public sealed class AuditTimerFunctions(AuditTableWriter audit, IOptionsMonitor<GatewayOptions> options, ILogger<AuditTimerFunctions> logger)
{
    /// <summary>Every hour: removes audit rows past <c>audit.retention_days</c> (when <c>audit.table</c> is on).</summary>
    [Function("audit-cleanup")]
    public Task CleanupAudit([TimerTrigger("0 7 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        AuditCleanupService.CleanAsync(audit, options.CurrentValue, logger, cancellationToken);
}
