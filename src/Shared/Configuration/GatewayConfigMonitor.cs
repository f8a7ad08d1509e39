using MasterMcp.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Configuration;

/// <summary>
/// Holds the configuration in force and reloads it when a config file changes. A reload is one snapshot: loaded, checked
/// by the same rules as startup (<see cref="ConfigSnapshotValidator"/>), swapped atomically, then handed to each listener
/// (old and new snapshot) in turn and awaited. A reload that breaks any rule is refused whole: the last good snapshot
/// stays in force and the reason is logged and kept in <see cref="LastReloadError"/> (shown by /ready).
/// </summary>
public sealed partial class GatewayConfigMonitor : IOptionsMonitor<GatewayOptions>, IDisposable
{
    private readonly ConfigInputs _inputs;
    private readonly Func<GatewayOptions, ISecretResolver> _resolverFactory;
    private readonly ILogger<GatewayConfigMonitor> _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Lock _gate = new();
    // One reload at a time, so listeners see the snapshots in the order they were swapped in.
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private Func<ConfigChange, CancellationToken, Task>[] _listeners = [];
    private CancellationTokenSource? _debounce;
    private ConfigSnapshot _snapshot;

    public GatewayConfigMonitor(ConfigSnapshot initial, ConfigInputs inputs, Func<GatewayOptions, ISecretResolver> resolverFactory, ILogger<GatewayConfigMonitor> logger)
    {
        _snapshot = initial;
        _inputs = inputs;
        _resolverFactory = resolverFactory;
        _logger = logger;
    }

    /// <summary>The snapshot in force.</summary>
    public ConfigSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>The configuration in force.</summary>
    public LoadedConfiguration Current => Snapshot.Config;

    /// <inheritdoc />
    public GatewayOptions CurrentValue => Current.Options;

    /// <summary>Why the last reload was refused (the last good configuration stayed in force), or null when it was applied.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>Which listeners failed while applying the last reload (it is in force), or null when all succeeded.</summary>
    public string? LastApplyError { get; private set; }

    /// <summary>How many reloads were applied.</summary>
    public int ReloadCount { get; private set; }

    /// <inheritdoc />
    public GatewayOptions Get(string? name) => CurrentValue;

    /// <summary>Calls <paramref name="listener"/> with every applied reload; the reload waits for it, and its failure is reported, not lost.</summary>
    public IDisposable Subscribe(Func<ConfigChange, CancellationToken, Task> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
        return new Subscription(this, listener);
    }

    /// <inheritdoc />
    public IDisposable OnChange(Action<GatewayOptions, string?> listener) =>
        Subscribe((change, _) =>
        {
            listener(change.Current.Options, null);
            return Task.CompletedTask;
        });

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

    /// <summary>Reloads now. Returns false (keeping the last good configuration) when the new one breaks a rule.</summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            ConfigSnapshot next;
            try
            {
                next = await ConfigSnapshotValidator.LoadAsync(_inputs, _resolverFactory, cancellationToken);
            }
            catch (Exception ex) when (ex is ConfigurationException or IOException or UnauthorizedAccessException)
            {
                LastReloadError = ex.Message;
                LogReloadRejected(_logger, ex.Message);
                return false;
            }
            var change = new ConfigChange(Snapshot, next);
            Volatile.Write(ref _snapshot, next);
            LastReloadError = null;
            ReloadCount++;
            LogReloaded(_logger, next.Config.Files.Count);
            var failures = new List<string>();
            foreach (var listener in Volatile.Read(ref _listeners))
            {
                try
                {
                    await listener(change, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogListenerFailed(_logger, ex);
                    failures.Add(ex.Message);
                }
            }
            LastApplyError = failures.Count == 0 ? null : string.Join("; ", failures);
            return true;
        }
        finally
        {
            _reloading.Release();
        }
    }

    private void ScheduleReload()
    {
        CancellationTokenSource cts;
        lock (_gate)
        {
            _debounce?.Cancel();
            _debounce = cts = new CancellationTokenSource();
        }
        _ = ReloadAfterQuietAsync(cts.Token);
    }

    private async Task ReloadAfterQuietAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Editors write files in several steps; wait for the writes to settle before reading.
            await Task.Delay(300, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A later write replaced this reload.
            return;
        }
        // Not cancelled by later writes once started: they queue behind it, and listeners never stop half-way.
        await ReloadAsync(CancellationToken.None);
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

    private void Unsubscribe(Func<ConfigChange, CancellationToken, Task> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != listener)];
        }
    }

    private sealed class Subscription(GatewayConfigMonitor owner, Func<ConfigChange, CancellationToken, Task> listener) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(listener);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration reload rejected; keeping the last good configuration. {Reason}")]
    private static partial void LogReloadRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded from {FileCount} file(s)")]
    private static partial void LogReloaded(ILogger logger, int fileCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying a configuration reload failed in one listener; the new configuration is in force")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);
}
