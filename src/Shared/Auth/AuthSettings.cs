using MasterMcp.Configuration;

namespace MasterMcp.Auth;

/// <summary>Values derived from the <c>auth</c> and <c>hosting</c> configuration: URLs, modes and cookie policy.</summary>
public sealed record AuthSettings(GatewayOptions Options, string EnvironmentName)
{
    /// <summary>none, jwt or gateway.</summary>
    public string Mode { get; } = AuthOptionsValidator.EffectiveMode(Options);

    public AuthOptions Auth { get; } = Options.Auth ?? new AuthOptions();

    public bool Enabled => Mode is "jwt" or "gateway";

    public bool IsGateway => Mode == "gateway";

    /// <summary>The public base URL without a trailing slash.</summary>
    public string BaseUrl { get; } = (Options.Hosting.BaseUrl ?? "http://127.0.0.1").TrimEnd('/');

    /// <summary>The protected resource identifier (token audience).</summary>
    public string Resource => Auth.Resource ?? BaseUrl + "/mcp";

    /// <summary>The issuer of tokens the gateway accepts.</summary>
    public string Issuer => IsGateway ? BaseUrl : Auth.Jwt.Issuer ?? "";

    /// <summary>The audience tokens must carry.</summary>
    public string Audience => IsGateway ? Resource : Auth.Jwt.Audience ?? Resource;

    /// <summary>Where the protected resource metadata for /mcp is published.</summary>
    public string ResourceMetadataUrl => BaseUrl + "/.well-known/oauth-protected-resource/mcp";

    /// <summary>The resource identifier of a virtual server (null: /mcp): its own URL, <c>{base_url}/mcp/{name}</c>.</summary>
    public string ResourceFor(string? virtualServer) => virtualServer is null ? Resource : BaseUrl + "/mcp/" + virtualServer;

    /// <summary>Where the protected resource metadata of a virtual server (null: /mcp) is published.</summary>
    public string ResourceMetadataUrlFor(string? virtualServer) => virtualServer is null ? ResourceMetadataUrl : ResourceMetadataUrl + "/" + virtualServer;

    /// <summary>
    /// Every resource the gateway's authorization server issues tokens for: /mcp and each virtual server.
    /// </summary>
    public IEnumerable<string> Resources => [Resource, .. Options.VirtualServers.Select(v => ResourceFor(v.Name))];

    /// <summary>
    /// The audiences a token presented at virtual server <paramref name="virtualServer"/> may carry: its configured
    /// <c>audiences</c> (jwt mode), else its own resource URL and the gateway's audience (a token for the whole gateway
    /// is good for any part of it; a token for one virtual server is good only there).
    /// </summary>
    public IReadOnlyList<string> AudiencesFor(Gateway.Access.VirtualServer virtualServer) =>
        !IsGateway && virtualServer.Audiences is { Count: > 0 } configured ? configured : [ResourceFor(virtualServer.Name), Audience];

    /// <summary>The upstream login callback.</summary>
    public string CallbackUrl => BaseUrl + "/oauth/callback";

    /// <summary>
    /// <c>__Host-</c> cookies need Secure, which browsers refuse to set over plain http. On an http loopback base URL
    /// in Development (local runs and tests) the prefix and Secure are dropped; everywhere else they are always used.
    /// </summary>
    public bool SecureCookies { get; } = !(AuthOptionsValidator.IsDevelopment(EnvironmentName)
        && Uri.TryCreate(Options.Hosting.BaseUrl, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp && AuthOptionsValidator.IsLoopbackHost(u.Host));

    /// <summary>The cookie name with the <c>__Host-</c> prefix when cookies are secure.</summary>
    public string CookieName(string name) => SecureCookies ? "__Host-" + name : name;

    public TimeSpan ClockSkew => TimeSpan.FromSeconds(Auth.ClockSkewSeconds);

    /// <summary>The WWW-Authenticate value of a challenge.</summary>
    public string Challenge(string? error = null, string? description = null, string? virtualServer = null)
    {
        var parts = new List<string>();
        if (error is not null)
        {
            parts.Add($"error=\"{error}\"");
        }
        if (description is not null)
        {
            parts.Add($"error_description=\"{description.Replace("\"", "'", StringComparison.Ordinal)}\"");
        }
        parts.Add($"resource_metadata=\"{ResourceMetadataUrlFor(virtualServer)}\"");
        if (Auth.RequiredScopes.Count > 0)
        {
            parts.Add($"scope=\"{string.Join(' ', Auth.RequiredScopes)}\"");
        }
        return "Bearer " + string.Join(", ", parts);
    }
}
