using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Credentials;

/// <summary>Warns loudly at startup when backend tokens are protected by a key that dies with the process.</summary>
public sealed partial class TokenKeyWarningService(TokenKeyRing keys, ILogger<TokenKeyWarningService> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (keys.IsEphemeral)
        {
            LogEphemeral(logger);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "*** TOKEN_ENC_KEY is not set: per-user backend tokens are encrypted with a random key generated for this process. They are lost on restart and unreadable by other instances. Set TOKEN_ENC_KEY (a base64 32-byte key, as a secret reference) before real use. ***")]
    private static partial void LogEphemeral(ILogger logger);
}
