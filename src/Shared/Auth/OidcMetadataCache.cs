using System.Collections.Concurrent;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace MasterMcp.Auth;

/// <summary>
/// Discovery documents and JWKS of external issuers (jwt mode's authorization server, the upstream IdP), cached and
/// refreshed: automatically every 12 hours, and on demand (at most once a minute) when a token names an unknown key id.
/// </summary>
public sealed class OidcMetadataCache(IHttpClientFactory httpClients)
{
    /// <summary>Name of the HttpClient used for discovery and JWKS.</summary>
    public const string HttpClientName = "mcpgw-oidc";

    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _managers = new(StringComparer.Ordinal);

    /// <summary>The discovery URL of an issuer: issuer + /.well-known/openid-configuration.</summary>
    public static string DiscoveryUrl(string issuer) => issuer.TrimEnd('/') + "/.well-known/openid-configuration";

    /// <summary>The issuer's metadata (with its signing keys).</summary>
    public Task<OpenIdConnectConfiguration> GetAsync(string metadataUrl, CancellationToken cancellationToken) =>
        Manager(metadataUrl).GetConfigurationAsync(cancellationToken);

    /// <summary>Asks for a fresh copy on the next <see cref="GetAsync"/> (rate-limited by the manager).</summary>
    public void RequestRefresh(string metadataUrl) => Manager(metadataUrl).RequestRefresh();

    private ConfigurationManager<OpenIdConnectConfiguration> Manager(string metadataUrl) =>
        _managers.GetOrAdd(metadataUrl, url =>
        {
            var uri = new Uri(url);
            var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName))
            {
                // Plain http only reaches this point for loopback issuers in Development (the validator refuses it elsewhere).
                RequireHttps = !(uri.Scheme == Uri.UriSchemeHttp && Configuration.AuthOptionsValidator.IsLoopbackHost(uri.Host)),
            };
            return new ConfigurationManager<OpenIdConnectConfiguration>(url, new OpenIdConnectConfigurationRetriever(), retriever)
            {
                AutomaticRefreshInterval = TimeSpan.FromHours(12),
                RefreshInterval = TimeSpan.FromMinutes(1),
            };
        });
}
