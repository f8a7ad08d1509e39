using MasterMcp.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Auth;

/// <summary>
/// At startup: warns loudly when authentication is off, and checks that the signing key loads in gateway mode.
/// Then removes expired authorization rows now and then (codes, pending requests, sessions, tokens).
/// </summary>
public sealed partial class AuthStartupService(AuthSettingsProvider settings, SigningKeys keys, AuthStore store, TimeProvider time, ILogger<AuthStartupService> logger) : BackgroundService
{
    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        if (!current.Enabled)
        {
            LogAuthOff(logger, current.EnvironmentName, current.Options.Hosting.Host);
        }
        else
        {
            LogAuthMode(logger, current.Mode, current.Resource, current.Issuer);
            if (current.IsGateway)
            {
                // Fails startup with a clear message instead of failing the first token request.
                await keys.GetAsync(cancellationToken);
            }
        }
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(15), time, stoppingToken);
                if (settings.Current.Enabled)
                {
                    await store.Table.DeleteExpiredAsync(time.GetUtcNow(), stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (StorageUnavailableException ex)
            {
                LogCleanupFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "AUTHENTICATION IS OFF (auth.mode none, environment {Environment}, host {Host}): anyone who can reach this port can use every backend. This is only allowed in Development on a loopback address.")]
    private static partial void LogAuthOff(ILogger logger, string environment, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Authentication: mode {Mode}, resource {Resource}, issuer {Issuer}")]
    private static partial void LogAuthMode(ILogger logger, string mode, string resource, string issuer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing expired authorization rows failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
