using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Micro;

/// <summary>
/// Access-token validation as AccessTokenValidator does it in gateway mode (JsonWebTokenHandler, signature + issuer +
/// audience + lifetime, RS256 and ES256), next to what a validated-token cache hit would cost (SHA-256 of the token and
/// a dictionary lookup). AccessTokenValidator itself needs the whole auth setup (settings, signing keys, revocations);
/// its per-request cost is this validation plus the revocation check.
/// </summary>
[MemoryDiagnoser]
public class TokenValidation
{
    private const string Issuer = "http://127.0.0.1:7071";
    private const string Audience = "http://127.0.0.1:7071/mcp";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly Dictionary<string, string> _cache = new(StringComparer.Ordinal);
    private string _rsaToken = "";
    private string _ecToken = "";
    private TokenValidationParameters _rsa = null!;
    private TokenValidationParameters _ec = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rsaKey = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa" };
        var ecKey = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec" };
        _rsaToken = Token(new SigningCredentials(rsaKey, SecurityAlgorithms.RsaSha256));
        _ecToken = Token(new SigningCredentials(ecKey, SecurityAlgorithms.EcdsaSha256));
        _rsa = Parameters(rsaKey);
        _ec = Parameters(ecKey);
        _cache[Hash(_rsaToken)] = "alice";
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> ValidateRs256() => (await _handler.ValidateTokenAsync(_rsaToken, _rsa)).IsValid;

    [Benchmark]
    public async Task<bool> ValidateEs256() => (await _handler.ValidateTokenAsync(_ecToken, _ec)).IsValid;

    /// <summary>What a validated-token cache hit costs: hash the token, look it up.</summary>
    [Benchmark]
    public bool CacheHit() => _cache.ContainsKey(Hash(_rsaToken));

    private static string Hash(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private string Token(SigningCredentials credentials) => _handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new System.Security.Claims.ClaimsIdentity([new("sub", "alice"), new("scope", "mcp"), new("client_id", "bench")]),
        Expires = DateTime.UtcNow.AddHours(1),
        IssuedAt = DateTime.UtcNow,
        NotBefore = DateTime.UtcNow,
        SigningCredentials = credentials,
    });

    private static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = key,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(60),
    };
}
