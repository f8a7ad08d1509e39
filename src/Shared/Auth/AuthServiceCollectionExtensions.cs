using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MasterMcp.Auth;

/// <summary>Registers client-facing authentication: token validation, the built-in authorization server and browser login.</summary>
public static class AuthServiceCollectionExtensions
{
    /// <summary>Adds everything under <c>Auth/</c>; which parts answer depends on <c>auth.mode</c> at request time.</summary>
    public static IServiceCollection AddGatewayAuth(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(OidcMetadataCache.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        ClientMetadataDocuments.Register(services);
        services.AddSingleton<AuthSettingsProvider>();
        services.AddSingleton<OidcMetadataCache>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<GrantRevocations>();
        services.AddSingleton<AccessTokenValidator>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddSingleton<AuthStore>();
        services.AddSingleton<ClientMetadataDocuments>();
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<ClientAuthentication>();
        services.AddSingleton<UpstreamLogin>();
        services.AddSingleton<BrowserSession>();
        services.AddSingleton<AuthorizationServer>();
        services.AddHostedService<AuthStartupService>();
        return services;
    }
}
