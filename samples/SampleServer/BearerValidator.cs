using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SampleServer;

/// <summary>Validates bearer JWTs of one issuer (keys from its discovery document) for the protected test backend.</summary>
public sealed class BearerValidator(string issuer, string? audience)
{
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata = new(
        issuer.TrimEnd('/') + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever { RequireHttps = false });

    /// <summary>RFC 9728 metadata for this server.</summary>
    public object Metadata(HttpContext context) => new Dictionary<string, object?>
    {
        ["resource"] = audience ?? $"{context.Request.Scheme}://{context.Request.Host}/mcp",
        ["authorization_servers"] = new[] { issuer },
        ["scopes_supported"] = new[] { "mcp" },
    };

    /// <summary>True when the request carries a valid token (its claims become the user); else answers 401 and returns false.</summary>
    public async Task<bool> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var config = await _metadata.GetConfigurationAsync(context.RequestAborted);
            var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(header[7..].Trim(), new TokenValidationParameters
            {
                ValidIssuer = config.Issuer,
                ValidateAudience = audience is not null,
                ValidAudience = audience,
                IssuerSigningKeys = config.SigningKeys,
                ClockSkew = TimeSpan.Zero,
            });
            if (result.IsValid)
            {
                context.User = new ClaimsPrincipal(result.ClaimsIdentity);
                return true;
            }
            Console.WriteLine("REFUSED token: " + result.Exception?.GetType().Name);
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"Bearer resource_metadata=\"{context.Request.Scheme}://{context.Request.Host}/.well-known/oauth-protected-resource/mcp\"";
        return false;
    }
}
