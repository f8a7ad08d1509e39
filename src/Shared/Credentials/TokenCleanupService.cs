using MasterMcp.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Credentials;

/// <summary>On the standalone host, removes expired token rows periodically (the Functions host runs a timer trigger instead).</summary>
public sealed partial class TokenCleanupService(TokenVault vault, IOptionsMonitor<GatewayOptions> options, TimeProvider time, ILogger<TokenCleanupService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(options.CurrentValue.Credentials.CleanupIntervalMinutes), time, stoppingToken);
                var deleted = await vault.DeleteExpiredAsync(stoppingToken);
                LogCleaned(logger, deleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Storage.StorageUnavailableException)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token cleanup removed {Count} expired row(s)")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token cleanup skipped: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
