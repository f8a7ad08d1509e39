using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Configuration;

/// <summary>
/// Holds the current configuration and reloads it when a config file changes. A reload that fails validation is rejected:
/// the last good configuration stays in force and the reason is logged.
/// </summary>
public sealed partial class GatewayConfigMonitor : IOptionsMonitor<GatewayOptions>, IDisposable
{
    private readonly ConfigInputs _inputs;
    private readonly ILogger<GatewayConfigMonitor> _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Lock _gate = new();
    private Action<GatewayOptions, string?>[] _listeners = [];
    private CancellationTokenSource? _debounce;
    private LoadedConfiguration _current;

    public GatewayConfigMonitor(LoadedConfiguration initial, ConfigInputs inputs, ILogger<GatewayConfigMonitor> logger)
    {
        _current = initial;
        _inputs = inputs;
        _logger = logger;
    }

    /// <summary>The configuration in force.</summary>
    public LoadedConfiguration Current => Volatile.Read(ref _current);

    /// <inheritdoc />
    public GatewayOptions CurrentValue => Current.Options;

    /// <summary>The error of the last rejected reload, or null when the last reload succeeded.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>How many reloads were applied.</summary>
    public int ReloadCount { get; private set; }

    /// <inheritdoc />
    public GatewayOptions Get(string? name) => CurrentValue;

    /// <inheritdoc />
    public IDisposable OnChange(Action<GatewayOptions, string?> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
        return new Subscription(this, listener);
    }

    /// <summary>Starts watching the files the configuration came from.</summary>
    public void StartWatching()
    {
        foreach (var directory in Current.Files.Select(Path.GetDirectoryName).Distinct())
        {
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }
            var watcher = new FileSystemWatcher(directory, "*.json") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            watcher.Changed += (_, _) => ScheduleReload();
            watcher.Created += (_, _) => ScheduleReload();
            watcher.Renamed += (_, _) => ScheduleReload();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>Reloads now. Returns false (keeping the last good configuration) when the new one is invalid.</summary>
    public bool Reload()
    {
        LoadedConfiguration next;
        try
        {
            next = ConfigurationLoader.Load(_inputs);
        }
        catch (ConfigurationException ex)
        {
            LastReloadError = ex.Message;
            LogReloadRejected(_logger, ex.Message);
            return false;
        }
        LastReloadError = null;
        Volatile.Write(ref _current, next);
        ReloadCount++;
        LogReloaded(_logger, next.Files.Count);
        foreach (var listener in _listeners)
        {
            try
            {
                listener(next.Options, null);
            }
            catch (Exception ex)
            {
                LogListenerFailed(_logger, ex);
            }
        }
        return true;
    }

    private void ScheduleReload()
    {
        CancellationTokenSource cts;
        lock (_gate)
        {
            _debounce?.Cancel();
            _debounce = cts = new CancellationTokenSource();
        }
        // Editors write files in several steps; wait for the writes to settle before reading.
        _ = Task.Delay(300, cts.Token).ContinueWith(t =>
        {
            if (!t.IsCanceled)
            {
                Reload();
            }
        }, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
        _watchers.Clear();
        _debounce?.Cancel();
    }

    private void Unsubscribe(Action<GatewayOptions, string?> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != listener)];
        }
    }

    private sealed class Subscription(GatewayConfigMonitor owner, Action<GatewayOptions, string?> listener) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(listener);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload rejected; keeping the last good configuration. {Reason}")]
    private static partial void LogReloadRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded from {FileCount} file(s)")]
    private static partial void LogReloaded(ILogger logger, int fileCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "A configuration change listener failed")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);
}
