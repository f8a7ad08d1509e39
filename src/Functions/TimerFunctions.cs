using MasterMcp.Credentials;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Functions;

/// <summary>Scheduled work under the Functions host (on Kestrel a background service does the same).</summary>
public sealed partial class TimerFunctions(TokenVault vault, ILogger<TimerFunctions> logger)
{
    /// <summary>Every 15 minutes: removes expired per-user token rows.</summary>
    [Function("token-cleanup")]
    public async Task CleanupTokens([TimerTrigger("0 */15 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var deleted = await vault.DeleteExpiredAsync(cancellationToken);
        LogCleaned(logger, deleted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token cleanup removed {Count} expired row(s)")]
    private static partial void LogCleaned(ILogger logger, int count);
}
