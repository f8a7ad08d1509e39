using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace MasterMcp.Tests.Auth;

/// <summary>jwt mode: access tokens from an external authorization server (oidc-provider), validated against its JWKS.</summary>
[Collection("azurite")]
public sealed class JwtModeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private OidcProviderProcess _idp = null!;
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;
    private string _resource = null!;

    public async Task InitializeAsync()
    {
        _idp = await OidcProviderProcess.StartAsync(secondIssuer: true);
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        (_gateway, _resource) = await StartGatewayAsync();
    }

    private async Task<(GatewayInstance Gateway, string Resource)> StartGatewayAsync(Action<IServiceCollection>? configureServices = null)
    {
        var port = AuthTestKit.FreePort();
        var gateway = await GatewayInstance.StartAsync(new JsonObject
        {
            ["hosting"] = new JsonObject { ["base_url"] = $"http://127.0.0.1:{port}" },
            ["auth"] = new JsonObject
            {
                ["mode"] = "jwt",
                ["clock_skew_seconds"] = 0,
                ["jwt"] = new JsonObject { ["issuer"] = _idp.Issuer },
                ["browser_login"] = new JsonObject { ["client_id"] = "gateway", ["client_secret"] = "gateway-secret" },
            },
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = _backend.McpUrl.ToString() }),
        }, azurite.ConnectionString, port: port, configureServices: configureServices);
        return (gateway, $"http://127.0.0.1:{port}/mcp");
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task TokenFromTheIdp_IsAccepted()
    {
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        var (status, _) = await SendAsync(token);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task TokenForAnotherAudience_Is401InvalidToken()
    {
        var token = await _idp.ClientCredentialsTokenAsync("http://127.0.0.1:1/other", "mcp");
        await AssertRefusedAsync(token, HttpStatusCode.Unauthorized, "invalid_token", "audience");
    }

    [Fact]
    public async Task TokenFromAnotherIssuerWithTheSameKeys_Is401InvalidToken()
    {
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp", issuer: _idp.SecondIssuer);
        await AssertRefusedAsync(token, HttpStatusCode.Unauthorized, "invalid_token", "issuer");
    }

    [Fact]
    public async Task ExpiredToken_Is401InvalidToken()
    {
        // The gateway's clock is a FakeTimeProvider: the token expires when the test moves time, not while a freshly
        // started gateway on a busy machine is still answering the first call.
        // It starts a minute back so that it can be set to the token's issue time (iat, whole seconds) below.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1));
        var (gateway, resource) = await StartGatewayAsync(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(time);
        });
        await using var _ = gateway;
        var token = await _idp.ClientCredentialsTokenAsync(resource, "mcp", "short-lived", "short-secret");
        var lifetime = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
        time.SetUtcNow(new DateTimeOffset(lifetime.IssuedAt, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, token)).Status);

        // The second request is served from the validated-token cache, and the expiry still applies to it.
        var validator = gateway.Services.GetRequiredService<MasterMcp.Auth.AccessTokenValidator>();
        var validations = validator.SignatureValidations;
        time.SetUtcNow(new DateTimeOffset(lifetime.ValidTo, TimeSpan.Zero) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, token)).Status);
        Assert.Equal(validations, validator.SignatureValidations);
        time.Advance(TimeSpan.FromSeconds(2));
        await AssertRefusedAsync(gateway, resource, token, HttpStatusCode.Unauthorized, "invalid_token", "expired");
    }

    [Fact]
    public async Task TokenWithBadSignature_Is401InvalidToken()
    {
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        var parts = token.Split('.');
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';
        await AssertRefusedAsync(parts[0] + "." + parts[1] + "." + new string(signature), HttpStatusCode.Unauthorized, "invalid_token", "signature");
    }

    [Fact]
    public async Task TokenWithoutTheRequiredScope_Is403InsufficientScope()
    {
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "other");
        await AssertRefusedAsync(token, HttpStatusCode.Forbidden, "insufficient_scope", null);
    }

    [Fact]
    public async Task TokenInTheQueryString_IsRefused()
    {
        var token = await _idp.ClientCredentialsTokenAsync(_resource, "mcp");
        using var http = new HttpClient();
        using var request = AuthTestKit.InitializeRequest(_gateway.BaseUrl, null);
        request.RequestUri = new Uri(_gateway.BaseUrl, "/mcp?access_token=" + token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("error=\"invalid_request\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrowserLogin_ThroughTheSameProvider_EstablishesTheSessionUser()
    {
        using var browser = new BrowserDriver { Login = "grace" };
        var anonymous = await browser.GetAsync(new Uri(_gateway.BaseUrl, "/auth/session"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var final = await browser.RunAsync(new Uri(_gateway.BaseUrl, "/auth/login?return_url=/auth/session"), new Uri(_gateway.BaseUrl, "/auth/session").ToString());
        Assert.Equal("/auth/session", final.AbsolutePath);
        var session = JsonNode.Parse(await (await browser.GetAsync(final)).Content.ReadAsStringAsync())!;
        Assert.Equal("grace", session["subject"]!.GetValue<string>());
        Assert.Equal(_idp.Issuer, session["issuer"]!.GetValue<string>());
    }

    private Task AssertRefusedAsync(string token, HttpStatusCode status, string error, string? descriptionWord) =>
        AssertRefusedAsync(_gateway, _resource, token, status, error, descriptionWord);

    private static async Task AssertRefusedAsync(GatewayInstance gateway, string resource, string token, HttpStatusCode status, string error, string? descriptionWord)
    {
        var (actual, challenge) = await SendAsync(gateway, token);
        Assert.Equal(status, actual);
        Assert.StartsWith("Bearer ", challenge, StringComparison.Ordinal);
        Assert.Contains($"error=\"{error}\"", challenge, StringComparison.Ordinal);
        Assert.Contains($"resource_metadata=\"http://127.0.0.1:{new Uri(resource).Port}/.well-known/oauth-protected-resource/mcp\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"mcp\"", challenge, StringComparison.Ordinal);
        if (descriptionWord is not null)
        {
            Assert.Contains(descriptionWord, challenge, StringComparison.Ordinal);
        }
    }

    private Task<(HttpStatusCode Status, string Challenge)> SendAsync(string token) => SendAsync(_gateway, token);

    private static async Task<(HttpStatusCode Status, string Challenge)> SendAsync(GatewayInstance gateway, string token)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(AuthTestKit.InitializeRequest(gateway.BaseUrl, token));
        return (response.StatusCode, response.Headers.WwwAuthenticate.ToString());
    }
}
