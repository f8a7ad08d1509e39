using MasterMcp.Backends;
using MasterMcp.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>
/// Background duties of the gateway: tells connected clients when the catalog changed (list_changed), closes per-client
/// backend sessions left idle, lets expired stream events go, and closes every backend (killing stdio process trees) when the host stops.
/// </summary>
public sealed partial class GatewayBackgroundService(Catalog catalog, BackendRegistry registry, IOptionsMonitor<GatewayOptions> options, ILogger<GatewayBackgroundService> logger,
    SessionEventStreams streamEvents) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        catalog.Changed += NotifyClients;
        catalog.ClientChanged += NotifyClient;
        // A reload that switches tool_exposure changes every client's tool list without touching the catalog.
        var exposure = options.CurrentValue.ToolExposure;
        using var exposureChanges = options.OnChange((current, _) =>
        {
            if (current.ToolExposure != exposure)
            {
                exposure = current.ToolExposure;
                NotifyClients();
            }
        });
        var nextProbe = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var probing = new Dictionary<string, Task>(StringComparer.Ordinal);
        var nextEviction = DateTimeOffset.UtcNow.AddSeconds(30);
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Stream events older than the idle timeout, and ended streams idle that long, go.
                streamEvents.Sweep();
                var now = DateTimeOffset.UtcNow;
                foreach (var definition in registry.Definitions)
                {
                    if (definition.HealthCheckInterval <= TimeSpan.Zero
                        || (probing.TryGetValue(definition.Id, out var running) && !running.IsCompleted)
                        || (nextProbe.TryGetValue(definition.Id, out var due) && now < due))
                    {
                        continue;
                    }
                    nextProbe[definition.Id] = now + definition.HealthCheckInterval;
                    probing[definition.Id] = registry.ProbeAsync(definition, stoppingToken);
                }
                if (now >= nextEviction)
                {
                    nextEviction = now.AddSeconds(30);
                    var evicted = await registry.EvictIdleAsync(options.CurrentValue.Sessions.IdleTimeout);
                    if (evicted > 0)
                    {
                        LogEvicted(logger, evicted);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            catalog.Changed -= NotifyClients;
            catalog.ClientChanged -= NotifyClient;
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await registry.DisposeAsync();
    }

    private void NotifyClient(string sessionId)
    {
        foreach (var server in registry.DownstreamSessions.Where(s => s.SessionId == sessionId))
        {
            _ = SendAsync(server);
        }
    }

    private void NotifyClients()
    {
        foreach (var server in registry.DownstreamSessions)
        {
            _ = SendAsync(server);
        }
    }

    private static async Task SendAsync(ModelContextProtocol.Server.McpServer server)
    {
        foreach (var method in new[] { NotificationMethods.ToolListChangedNotification, NotificationMethods.PromptListChangedNotification, NotificationMethods.ResourceListChangedNotification })
        {
            try
            {
                await server.SendNotificationAsync(method);
            }
            catch (Exception)
            {
                // The client has no open stream (or left); it will see the new lists on its next request.
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} idle per-client backend session(s)")]
    private static partial void LogEvicted(ILogger logger, int count);
}
