using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// The authenticated caller: the identity provider's issuer and subject (the person), the scopes of the token and the
/// OAuth client that holds it. Routing uses <see cref="Key"/> for per-user state (backend credentials, isolation).
/// </summary>
public sealed record GatewayUser(string Issuer, string Subject, IReadOnlyList<string> Scopes, string? ClientId)
{
    private const string ItemKey = "MasterMcp.GatewayUser";

    /// <summary>Claim type carrying <see cref="Key"/> as the principal's name identifier.</summary>
    public const string KeyClaimType = ClaimTypes.NameIdentifier;

    /// <summary>Claim type prefix under which <see cref="Claims"/> travel in the principal (kept apart from the gateway's own claims).</summary>
    private const string TokenClaimPrefix = "token:";

    /// <summary>A display name from the identity provider, when it gave one.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The token's other claims by type (e.g. <c>groups</c>, <c>roles</c>), each with all its values; what policies match
    /// on besides subject and scopes. Registered JWT claims (iss, sub, aud, exp, …) and scopes are not repeated here.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Claims { get; init; } = EmptyClaims;

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EmptyClaims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>No claims besides issuer, subject and scopes.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> NoClaims => EmptyClaims;

    /// <summary>A stable, storage-safe identifier of the person: a hash of issuer and subject.</summary>
    public string Key { get; } = ComputeKey(Issuer, Subject);

    /// <summary>The user of this request, or null when it is anonymous (or auth is off).</summary>
    public static GatewayUser? From(HttpContext context) => context.Items.TryGetValue(ItemKey, out var value) ? value as GatewayUser : null;

    /// <summary>
    /// The user behind a principal made by <see cref="ToPrincipal"/> — what MCP handlers see as <c>RequestContext.User</c>
    /// (the SDK copies <c>HttpContext.User</c>). Null for anonymous principals.
    /// </summary>
    public static GatewayUser? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true || principal.FindFirst("iss")?.Value is not { } issuer || principal.FindFirst("sub")?.Value is not { } subject)
        {
            return null;
        }
        var claims = principal.Claims.Where(c => c.Type.StartsWith(TokenClaimPrefix, StringComparison.Ordinal)).ToList();
        return new GatewayUser(issuer, subject, [.. principal.FindAll("scope").Select(c => c.Value)], principal.FindFirst("client_id")?.Value)
        {
            Name = principal.FindFirst(ClaimTypes.Name)?.Value,
            Claims = claims.Count == 0 ? EmptyClaims : claims.GroupBy(c => c.Type[TokenClaimPrefix.Length..], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(c => c.Value)], StringComparer.Ordinal),
        };
    }

    /// <summary>Attaches the user to the request: <c>HttpContext.Items</c> and <c>HttpContext.User</c> (which the MCP SDK reads).</summary>
    public void AttachTo(HttpContext context)
    {
        context.Items[ItemKey] = this;
        context.User = ToPrincipal();
    }

    /// <summary>A principal whose name identifier is <see cref="Key"/>; the MCP SDK binds sessions to it.</summary>
    public ClaimsPrincipal ToPrincipal()
    {
        var claims = new List<Claim>
        {
            new(KeyClaimType, Key, ClaimValueTypes.String, "master-mcp-gateway"),
            new("iss", Issuer),
            new("sub", Subject),
        };
        if (ClientId is not null)
        {
            claims.Add(new Claim("client_id", ClientId));
        }
        if (Name is not null)
        {
            claims.Add(new Claim(ClaimTypes.Name, Name));
        }
        claims.AddRange(Scopes.Select(s => new Claim("scope", s)));
        claims.AddRange(Claims.SelectMany(p => p.Value.Select(v => new Claim(TokenClaimPrefix + p.Key, v))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer"));
    }

    /// <summary>True when the user holds every scope in <paramref name="required"/>.</summary>
    public bool HasScopes(IEnumerable<string> required) => required.All(s => Scopes.Contains(s, StringComparer.Ordinal));

    private static string ComputeKey(string issuer, string subject)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(issuer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + issuer + subject));
        return Convert.ToHexStringLower(hash.AsSpan(0, 20));
    }
}
