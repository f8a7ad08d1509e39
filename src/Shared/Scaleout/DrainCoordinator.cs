using MasterMcp.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Scaleout;

/// <summary>
/// Graceful drain. When the host is asked to stop (SIGTERM, a platform scaling in), this instance stops taking new
/// sessions, lets MCP calls in flight finish for up to <c>hosting.drain_seconds</c>, then ends its sessions: it leaves
/// the backplane, so other instances answer 404 for them, and answers 404 itself, and clients re-initialize elsewhere.
/// Runs before the web server stops (<see cref="IHostedLifecycleService.StoppingAsync"/>), so answers still go out.
/// </summary>
public sealed partial class DrainCoordinator(IOptionsMonitor<GatewayOptions> options, TimeProvider time, ILogger<DrainCoordinator> logger, RedisBackplane? backplane = null) : IHostedLifecycleService
{
    /// <summary><c>HttpContext.Items</c> key of requests that arrived after the drain began.</summary>
    public const string ArrivedWhileDrainingItem = "MasterMcp.ArrivedWhileDraining";

    private int _inFlight;
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the host began stopping: no new sessions.</summary>
    public bool IsDraining { get; private set; }

    /// <summary>True once this instance's sessions are over (every session request is answered 404).</summary>
    public bool SessionsEnded { get; private set; }

    /// <summary>MCP requests (not GET streams) being served now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts a request in flight until the returned scope is disposed.</summary>
    public InFlightScope Enter()
    {
        Interlocked.Increment(ref _inFlight);
        return new InFlightScope(this);
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && IsDraining)
        {
            _idle.TrySetResult();
        }
    }

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        IsDraining = true;
        var limit = TimeSpan.FromSeconds(options.CurrentValue.Hosting.DrainSeconds);
        LogDraining(logger, InFlight, limit.TotalSeconds);
        if (InFlight > 0)
        {
            try
            {
                await _idle.Task.WaitAsync(limit, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                LogDrainTimedOut(logger, InFlight);
            }
            catch (OperationCanceledException)
            {
                LogDrainTimedOut(logger, InFlight);
            }
        }
        SessionsEnded = true;
        if (backplane is not null)
        {
            await backplane.LeaveAsync();
        }
        LogDrained(logger);
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Marks the end of one request in flight.</summary>
    public readonly struct InFlightScope(DrainCoordinator owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner.Exit();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: no new sessions; waiting for {InFlight} call(s) in flight for up to {Seconds} s")]
    private static partial void LogDraining(ILogger logger, int inFlight, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drain time is up with {InFlight} call(s) still in flight; ending sessions anyway")]
    private static partial void LogDrainTimedOut(ILogger logger, int inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: this instance's sessions are over; clients re-initialize on another instance")]
    private static partial void LogDrained(ILogger logger);
}
