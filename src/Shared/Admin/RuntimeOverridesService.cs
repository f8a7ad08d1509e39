using MasterMcp.Configuration;
using MasterMcp.Scaleout;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Admin;

/// <summary>
/// Keeps this instance's runtime overrides current: reads them at start, re-reads them every <c>admin.refresh_seconds</c>,
/// and at once when another instance announces a change on the Redis backplane (where it also hears other instances' reconnect
/// requests). Each period it also reports this instance's
/// session count (<see cref="InstanceReports"/>).
/// </summary>
public sealed partial class RuntimeOverridesService(RuntimeOverrides overrides, InstanceReports reports, IOptionsMonitor<GatewayOptions> options, TimeProvider time,
    ILogger<RuntimeOverridesService> logger, RedisBackplane? backplane = null) : BackgroundService
{
    private bool _subscribed;
    private bool _subscribedReconnect;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await SubscribeAsync(stoppingToken);
                try
                {
                    await overrides.RefreshAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The previous set stays in force; the next period tries again.
                    LogRefreshFailed(logger, ex);
                }
                try
                {
                    await reports.PublishAsync();
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    LogReportFailed(logger, ex.Message);
                }
                await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.Admin.RefreshSeconds), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    // Retried each period until it succeeds (Redis may be down at start); StackExchange.Redis re-subscribes after reconnects.
    private async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        if (backplane is null || (_subscribed && _subscribedReconnect))
        {
            return;
        }
        try
        {
            if (!_subscribed)
            {
                await backplane.SubscribeBroadcastAsync(RuntimeOverrides.Topic, _ => overrides.RefreshAsync(stoppingToken), stoppingToken);
                _subscribed = true;
            }
            await backplane.SubscribeBroadcastAsync(RuntimeOverrides.ReconnectTopic, overrides.OnReconnectRequestedAsync, stoppingToken);
            _subscribedReconnect = true;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogSubscribeFailed(logger, ex.Message, options.CurrentValue.Admin.RefreshSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin overrides: not subscribed to the backplane ({Reason}); changes from other instances arrive within {Seconds} s")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason, int seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Admin overrides could not be applied")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Admin: session count not reported to Redis: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, string reason);
}
