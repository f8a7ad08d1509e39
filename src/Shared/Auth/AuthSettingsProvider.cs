using MasterMcp.Configuration;

namespace MasterMcp.Auth;

/// <summary>The <see cref="AuthSettings"/> of the configuration in force (rebuilt when a reload changes it).</summary>
public sealed class AuthSettingsProvider(GatewayConfigMonitor monitor)
{
    private AuthSettings? _cached;

    /// <summary>Settings for the current configuration.</summary>
    public AuthSettings Current
    {
        get
        {
            var config = monitor.Current;
            var cached = Volatile.Read(ref _cached);
            if (cached is null || !ReferenceEquals(cached.Options, config.Options))
            {
                cached = new AuthSettings(config.Options, config.EnvironmentName);
                Volatile.Write(ref _cached, cached);
            }
            return cached;
        }
    }
}
