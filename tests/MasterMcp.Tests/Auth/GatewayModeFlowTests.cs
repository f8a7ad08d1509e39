using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using MasterMcp.Auth;
using MasterMcp.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Auth;

/// <summary>The official C# SDK client completes the gateway-mode OAuth flow (registration, consent, upstream login, PKCE) and calls a tool.</summary>
[Collection("azurite")]
public sealed class GatewayModeFlowTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private GatewayModeBed _bed = null!;

    public async Task InitializeAsync() => _bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task SdkClient_WithDynamicRegistration_CompletesFlowAndCallsTool()
    {
        var browser = new BrowserDriver { Login = "dana" };
        var options = OAuthOptions(browser);
        options.DynamicClientRegistration = new DynamicClientRegistrationOptions { ClientName = "SDK Dynamic Client" };
        await using var client = await ConnectAsync(_bed.Gateway, options);

        var result = await client.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = "hi" });
        Assert.Equal("alpha/echo: hi", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Contains(browser.Visited, u => u.AbsolutePath == "/oauth/consent");
        Assert.Contains(browser.Visited, u => u.AbsolutePath.StartsWith("/interaction/", StringComparison.Ordinal));
        Assert.Contains("SDK Dynamic Client", browser.ConsentPages.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SdkClient_WithPreRegisteredClient_CompletesFlowAndCallsTool()
    {
        var browser = new BrowserDriver { Login = "erin" };
        var options = OAuthOptions(browser);
        options.ClientId = "preregistered";
        options.ClientSecret = "preregistered-secret";
        await using var client = await ConnectAsync(_bed.Gateway, options);

        var result = await client.CallToolAsync("sample__add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 });
        Assert.Equal("5", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Contains("Pre-registered Test Client", browser.ConsentPages.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SdkClient_WithClientMetadataDocumentOnAllowListedLoopbackOrigin_CompletesFlowAndCallsTool()
    {
        using var certificate = SelfSignedLocalhost();
        var started = await StartWithMetadataDocumentAsync(certificate, url => new JsonObject
        {
            ["client_id"] = url,
            ["client_name"] = "Metadata Document Client",
            ["redirect_uris"] = new JsonArray(AuthTestKit.Redirect),
            ["token_endpoint_auth_method"] = "none",
        });
        await using var documentServer = started.DocumentServer;
        await using var gateway = started.Gateway;
        var documentUrl = started.DocumentUrl;

        var browser = new BrowserDriver { Login = "frank" };
        var options = OAuthOptions(browser);
        options.ClientMetadataDocumentUri = new Uri(documentUrl);
        await using var client = await ConnectAsync(gateway, options);

        var result = await client.CallToolAsync("sample__echo", new Dictionary<string, object?> { ["text"] = "cimd" });
        Assert.Equal("alpha/echo: cimd", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Contains("Metadata Document Client", browser.ConsentPages.Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\t")]
    [InlineData("\r\n")]
    [InlineData("\u000b")]
    [InlineData("\u3000")]
    public async Task ClientMetadataDocument_WithControlCharacterInRedirectUri_IsRefusedAtAuthorize_NeverWrittenIntoAHeader(string hostile)
    {
        using var certificate = SelfSignedLocalhost();
        var redirect = AuthTestKit.Redirect + hostile;
        var started = await StartWithMetadataDocumentAsync(certificate, url => new JsonObject
        {
            ["client_id"] = url,
            ["redirect_uris"] = new JsonArray(redirect),
            ["token_endpoint_auth_method"] = "none",
        });
        await using var documentServer = started.DocumentServer;
        await using var gateway = started.Gateway;

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(AuthTestKit.AuthorizeUrl(gateway.BaseUrl, started.DocumentUrl, AuthTestKit.Pkce().Challenge, redirectUri: redirect, state: "x"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("percent-encode it", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_WithoutToken_Is401WithResourceMetadataAndScope_AndDiscoveryDocumentsDescribeTheServer()
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(AuthTestKit.InitializeRequest(_bed.Gateway.BaseUrl, null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains($"resource_metadata=\"{_bed.Gateway.BaseUrl}.well-known/oauth-protected-resource/mcp\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"mcp\"", challenge, StringComparison.Ordinal);

        var prm = JsonNode.Parse(await http.GetStringAsync(new Uri(_bed.Gateway.BaseUrl, "/.well-known/oauth-protected-resource/mcp")))!;
        Assert.Equal(new Uri(_bed.Gateway.BaseUrl, "/mcp").ToString(), prm["resource"]!.GetValue<string>());
        var issuer = prm["authorization_servers"]![0]!.GetValue<string>();
        Assert.Equal(_bed.Gateway.BaseUrl.ToString().TrimEnd('/'), issuer);
        Assert.NotNull(JsonNode.Parse(await http.GetStringAsync(new Uri(_bed.Gateway.BaseUrl, "/.well-known/oauth-protected-resource"))));

        foreach (var path in new[] { "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration" })
        {
            var metadata = JsonNode.Parse(await http.GetStringAsync(new Uri(_bed.Gateway.BaseUrl, path)))!;
            Assert.Equal(issuer, metadata["issuer"]!.GetValue<string>());
            Assert.Equal(["S256"], metadata["code_challenge_methods_supported"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.True(metadata["client_id_metadata_document_supported"]!.GetValue<bool>());
            Assert.NotNull(metadata["registration_endpoint"]);
        }
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(_bed.Gateway.BaseUrl, "/.well-known/jwks.json")))!;
        var key = Assert.Single(jwks["keys"]!.AsArray())!;
        Assert.Null(key["d"]);
        Assert.Equal("RSA", key["kty"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(_bed.Gateway.BaseUrl, "/health"))).StatusCode);
        var ready = JsonNode.Parse(await http.GetStringAsync(new Uri(_bed.Gateway.BaseUrl, "/ready")))!.AsObject();
        Assert.Equal(["status"], ready.Select(p => p.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(_bed.Gateway.BaseUrl, "/capabilities"))).StatusCode);
    }

    [Fact]
    public async Task Session_PresentedWithAnotherUsersToken_IsRefused()
    {
        var aliceToken = await TokenForAsync("alice");
        var bobToken = await TokenForAsync("bob");
        using var http = new HttpClient();
        using var init = await http.SendAsync(AuthTestKit.InitializeRequest(_bed.Gateway.BaseUrl, aliceToken));
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        var sessionId = init.Headers.GetValues("Mcp-Session-Id").Single();

        using var request = AuthTestKit.McpPost(_bed.Gateway.BaseUrl, """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", bobToken, sessionId);
        using var foreign = await http.SendAsync(request);
        Assert.True(foreign.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"got {foreign.StatusCode}");

        using var capabilities = new HttpRequestMessage(HttpMethod.Get, new Uri(_bed.Gateway.BaseUrl, "/capabilities"));
        capabilities.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", aliceToken);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(capabilities)).StatusCode);
    }

    [Fact]
    public async Task SigningKeyRotation_TokensSignedWithAPreviousKeyStayValid_AndBothKeysArePublished()
    {
        var token = await TokenForAsync("judy");
        // An instance that already signs with a new key and lists the old one as previous (same public URL and storage).
        var port = AuthTestKit.FreePort();
        var config = AuthTestKit.GatewayConfig(port, _bed.Idp.Issuer, _bed.Backend.McpUrl, AuthTestKit.NewSigningKeyReference(), _bed.Gateway.BaseUrl.ToString().TrimEnd('/'));
        config["auth"]!["previous_signing_keys"] = new JsonArray(_bed.SigningKey);
        await using var rotated = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port);

        using var http = new HttpClient();
        using var response = await http.SendAsync(AuthTestKit.InitializeRequest(rotated.BaseUrl, token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(rotated.BaseUrl, "/.well-known/jwks.json")))!;
        Assert.Equal(2, jwks["keys"]!.AsArray().Count);
    }

    private Task<string> TokenForAsync(string login) => AuthTestKit.AccessTokenAsync(_bed.Gateway.BaseUrl, login);

    private static ClientOAuthOptions OAuthOptions(BrowserDriver browser) => new()
    {
        RedirectUri = new Uri(AuthTestKit.Redirect),
        // The SDK checks the returned state and the RFC 9207 issuer against what it sent and discovered.
        AuthorizationCallbackHandler = async (context, _) =>
        {
            var final = await browser.RunAsync(context.AuthorizationUri, context.RedirectUri.ToString());
            return new AuthorizationResult { Code = AuthTestKit.Query(final, "code"), State = AuthTestKit.Query(final, "state"), Iss = AuthTestKit.Query(final, "iss") };
        },
    };

    private static Task<McpClient> ConnectAsync(GatewayInstance gateway, ClientOAuthOptions oauth) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = gateway.McpUrl, TransportMode = HttpTransportMode.StreamableHttp, OAuth = oauth }));

    private static X509Certificate2 SelfSignedLocalhost()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A server for the document <paramref name="document"/> builds from its URL, and a gateway allowed to fetch it (trusting <paramref name="certificate"/>).</summary>
    private async Task<(GatewayInstance Gateway, WebApplication DocumentServer, string DocumentUrl)> StartWithMetadataDocumentAsync(X509Certificate2 certificate, Func<string, JsonObject> document)
    {
        var docPort = AuthTestKit.FreePort();
        var documentUrl = $"https://localhost:{docPort}/oauth/client.json";
        var documentServer = await StartDocumentServerAsync(docPort, certificate, document(documentUrl));
        var port = AuthTestKit.FreePort();
        var config = AuthTestKit.GatewayConfig(port, _bed.Idp.Issuer, _bed.Backend.McpUrl, _bed.SigningKey);
        config["auth"]!["client_metadata_documents"] = new JsonObject { ["development_allowed_origins"] = new JsonArray($"https://localhost:{docPort}") };
        // The test's self-signed certificate is trusted for this one HttpClient (by thumbprint); the address guard stays in place.
        var gateway = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port, configureServices: services =>
            services.Configure<HttpClientFactoryOptions>(ClientMetadataDocuments.HttpClientName, o => o.HttpMessageHandlerBuilderActions.Add(b =>
                ((SocketsHttpHandler)b.PrimaryHandler).SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && cert.GetCertHashString() == certificate.GetCertHashString())));
        return (gateway, documentServer, documentUrl);
    }

    private static async Task<WebApplication> StartDocumentServerAsync(int port, X509Certificate2 certificate, JsonObject document)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(k => k.ListenLocalhost(port, o => o.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/oauth/client.json", () => Results.Text(document.ToJsonString(), "application/json"));
        await app.StartAsync();
        return app;
    }
}
