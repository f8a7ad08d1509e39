using MasterMcp.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Credentials;

/// <summary>Warns at startup about backends that receive the client's own token (master_oauth with allow_passthrough).</summary>
public sealed partial class CredentialsStartupService(IOptionsMonitor<GatewayOptions> options, ILogger<CredentialsStartupService> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var server in options.CurrentValue.Servers.Where(s => s.AuthStrategy == "master_oauth"))
        {
            if (BackendAuthConfig.From(server.AuthConfig).AllowPassthrough)
            {
                LogPassthrough(logger, server.Id);
            }
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "*** Backend {BackendId} receives the clients' own access tokens (auth_config.allow_passthrough). Only do this for a backend inside the gateway's own audience; prefer token exchange. ***")]
    private static partial void LogPassthrough(ILogger logger, string backendId);
}
