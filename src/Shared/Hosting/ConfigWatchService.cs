using MasterMcp.Configuration;
using MasterMcp.Observability;
using Microsoft.Extensions.Hosting;

namespace MasterMcp.Hosting;

/// <summary>Starts watching the config files when the host starts, and applies the log level on every reload.</summary>
public sealed class ConfigWatchService(GatewayConfigMonitor monitor) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = monitor.OnChange((options, _) => GatewayLogging.SetLevel(options.Logging.Level));
        monitor.StartWatching();
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
}
