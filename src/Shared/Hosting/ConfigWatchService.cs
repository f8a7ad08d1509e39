using MasterMcp.Configuration;
using MasterMcp.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Hosting;

/// <summary>Starts watching the config files when the host starts, and applies the log level on every reload.</summary>
public sealed partial class ConfigWatchService(GatewayConfigMonitor monitor, ILogger<ConfigWatchService> logger) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = monitor.Subscribe((change, _) =>
        {
            GatewayLogging.SetLevel(change.Current.Options.Logging.Level);
            return Task.CompletedTask;
        });
        monitor.StartWatching();
        if (monitor.CurrentValue.Storage.Provider == "memory")
        {
            LogMemoryStorage(logger);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        monitor.Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _subscription?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "storage.provider is 'memory': sessions and tokens live in this process only and are lost on restart. Use Table Storage (Azurite locally) for anything but a quick local trial.")]
    private static partial void LogMemoryStorage(ILogger logger);
}
