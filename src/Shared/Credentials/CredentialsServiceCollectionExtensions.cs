using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Credentials;

/// <summary>Registers backend credentials: providers, token calls, refresh leases, the connect flow and per-user access.</summary>
public static class CredentialsServiceCollectionExtensions
{
    /// <summary>Adds everything under <c>Credentials/</c> except the vault itself.</summary>
    public static IServiceCollection AddBackendCredentials(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddHttpClient(BackendTokenClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHttpClient(BackendProviders.DiscoveryHttpClientName, http => http.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => Net.OutboundAddressGuard.CreateHandler());
        services.AddSingleton<BackendProviders>();
        services.AddSingleton<BackendTokenClient>();
        services.AddSingleton<RefreshLease>();
        services.AddSingleton<BackendCredentials>();
        services.AddSingleton<ConnectFlow>();
        services.AddSingleton<UserBackendAccess>();
        services.AddHostedService<CredentialsStartupService>();
        return services;
    }
}
