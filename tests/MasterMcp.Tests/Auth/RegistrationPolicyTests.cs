using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// Dynamic registration policy (issue 13, items 7 and 8): the redirect URIs real clients register work end to end (any
/// loopback port at /authorize), dangerous schemes are refused, registrations are bounded, rate-limited per source
/// address (across instances with Redis), and forgotten when never used.
/// </summary>
[Collection("azurite")]
public sealed class RegistrationPolicyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private GatewayModeBed _bed = null!;

    public async Task InitializeAsync() => _bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Uri Base => _bed.Gateway.BaseUrl;

    /// <summary>
    /// What the clients register (FACTS.md, RFC 8252) and the redirect URI they then send to /authorize: Cursor a private-use
    /// scheme; VS Code fixed loopback URIs and a port picked at run time; Claude Code localhost with its run-time port.
    /// </summary>
    public static TheoryData<string, string[], string> RealClients()
    {
        var port = AuthTestKit.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new()
        {
            { "Cursor", ["cursor://anysphere.cursor-mcp/oauth/callback"], "cursor://anysphere.cursor-mcp/oauth/callback" },
            { "VS Code", ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"], $"http://127.0.0.1:{port}/" },
            { "Claude Code", [$"http://localhost:{port}/callback"], $"http://localhost:{port}/callback" },
            { "a loopback client whose port changed since it registered", ["http://localhost:33418/callback"], $"http://localhost:{port}/callback" },
        };
    }

    [Theory]
    [MemberData(nameof(RealClients))]
    public async Task RedirectSetsOfRealClients_Register_AndCompleteTheFlow(string client, string[] registered, string redirect)
    {
        var (status, body) = await RegisterAsync(Base, new JsonObject
        {
            ["redirect_uris"] = new JsonArray([.. registered.Select(r => (JsonNode)r)]),
            ["token_endpoint_auth_method"] = "none",
            ["grant_types"] = new JsonArray("authorization_code", "refresh_token"),
            ["client_name"] = client,
        });
        Assert.True(status == HttpStatusCode.Created, $"{client}: {body}");
        var clientId = body["client_id"]!.GetValue<string>();
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge, redirectUri: redirect), "frank", redirect);
        var (tokenStatus, tokens) = await AuthTestKit.RedeemAsync(Base, clientId, null, code, verifier, redirect);
        Assert.True(tokenStatus == HttpStatusCode.OK, $"{client}: {tokens}");
        Assert.NotNull(tokens["access_token"]);
    }

    [Theory]
    [InlineData("mailto:someone@example.com")]
    [InlineData("ftp://files.example.com/cb")]
    [InlineData("ms-settings:privacy")]
    [InlineData("tel:+15551234567")]
    [InlineData("sms:+15551234567")]
    [InlineData("search-ms:query=x")]
    [InlineData("javascript://anything/%0Aalert(1)")]
    [InlineData("data://text/html,x")]
    [InlineData("http://example.com/cb")]
    public async Task Register_WithADangerousRedirectUri_Is400(string redirect)
    {
        var (status, body) = await RegisterAsync(Base, new JsonObject { ["redirect_uris"] = new JsonArray(redirect) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_redirect_uri", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_BeyondTheLimitsOfCountLengthAndSize_Is400_AndWithinThemIsCreated()
    {
        JsonObject With(IEnumerable<string> uris) => new() { ["redirect_uris"] = new JsonArray([.. uris.Select(u => (JsonNode)u)]) };
        var ten = Enumerable.Range(1, 10).Select(i => $"http://127.0.0.1/cb{i}").ToList();
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(Base, With(ten))).Status);

        var (status, body) = await RegisterAsync(Base, With([.. ten, "http://127.0.0.1/cb11"]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 10 redirect_uris", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);

        (status, body) = await RegisterAsync(Base, With(["https://app.example/" + new string('a', 600)]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 512 characters", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);

        var padded = With(["https://app.example/cb"]);
        padded["client_name"] = new string('n', 9000);
        (status, body) = await RegisterAsync(Base, padded);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("8192 bytes", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);

        // Without Content-Length (chunked) the body is cut at the same size.
        (status, body) = await RegisterAsync(Base, padded, chunked: true);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("larger than 8192 bytes", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_MoreOftenThanTheLimitFromOneAddress_Is429WithRetryAfter_WhileAnotherAddressIsServed()
    {
        var port = AuthTestKit.FreePort();
        var config = AuthTestKit.GatewayConfig(port, _bed.Idp.Issuer, _bed.Backend.McpUrl, _bed.SigningKey);
        config["auth"]!["registration"] = new JsonObject { ["per_address_per_minute"] = 3 };
        await using var gateway = await GatewayInstance.StartAsync(config, port: port);
        var document = new JsonObject { ["redirect_uris"] = new JsonArray("http://127.0.0.1/cb") };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(gateway.BaseUrl, document)).Status);
        }
        using var http = new HttpClient();
        using var refused = await http.PostAsync(new Uri(gateway.BaseUrl, "/register"), new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal("too_many_requests", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        // Another source address (127.0.0.2 is loopback too on Linux) has its own allowance.
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(gateway.BaseUrl, document, source: IPAddress.Parse("127.0.0.2"))).Status);
    }

    [Fact]
    public async Task Register_BeyondTheLimit_IsCountedAcrossInstances_WithRedis()
    {
        // Two instances sharing Redis: three registrations per address and minute in all, not three per instance.
        await using var cluster = await GatewayCluster.StartAsync(publicUrl =>
        {
            var config = AuthTestKit.GatewayConfig(0, _bed.Idp.Issuer, _bed.Backend.McpUrl, _bed.SigningKey, baseUrl: publicUrl.ToString().TrimEnd('/'));
            config["auth"]!["registration"] = new JsonObject { ["per_address_per_minute"] = 3 };
            return config;
        }, count: 2);
        var (a, b) = (cluster.Instances[0].BaseUrl, cluster.Instances[1].BaseUrl);
        var document = new JsonObject { ["redirect_uris"] = new JsonArray("http://127.0.0.1/cb") };
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(a, document)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(b, document)).Status);
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(a, document)).Status);

        var (status, body) = await RegisterAsync(b, document);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("too_many_requests", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await RegisterAsync(a, document)).Status);
        // Another address still has its allowance, on either instance.
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(b, document, source: IPAddress.Parse("127.0.0.2"))).Status);
    }

    [Fact]
    public async Task ARegistrationNeverUsed_IsForgottenAfterItsLifetime_WhileOneThatGotATokenStays()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = AuthTestKit.FreePort();
        var config = AuthTestKit.GatewayConfig(port, _bed.Idp.Issuer, _bed.Backend.McpUrl, _bed.SigningKey);
        await using var gateway = await GatewayInstance.StartAsync(config, sharedStore: new InMemoryStoreFactory(time), port: port, configureServices: services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(time);
        });
        var (unused, _) = await AuthTestKit.RegisterAsync(gateway.BaseUrl);
        var (used, secret) = await AuthTestKit.RegisterAsync(gateway.BaseUrl);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(gateway.BaseUrl, used, challenge), "gina");
        var (status, _) = await AuthTestKit.RedeemAsync(gateway.BaseUrl, used, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.Found, await AuthorizeStatusAsync(gateway.BaseUrl, unused));

        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeStatusAsync(gateway.BaseUrl, unused));
        Assert.Equal(HttpStatusCode.Found, await AuthorizeStatusAsync(gateway.BaseUrl, used));
    }

    [Theory]
    [InlineData("mailto:a@example.com", true)]
    [InlineData("ftp://example.com/cb", true)]
    [InlineData("ms-settings:privacy", true)]
    [InlineData("MS-Word:ofe|u|https://x", true)]
    [InlineData("tel:1", true)]
    [InlineData("cursor://anysphere.cursor-mcp/oauth/callback", false)]
    [InlineData("com.example.app:/oauth", false)]
    [InlineData("https://vscode.dev/redirect", false)]
    [InlineData("http://127.0.0.1:33418/", false)]
    [InlineData("http://127.5.6.7/cb", false)]
    [InlineData("http://[::1]:8080/cb", false)]
    [InlineData("http://localhost/cb", false)]
    [InlineData("http://10.0.0.1/cb", true)]
    public void Problem_RefusesDeniedSchemes_AndKeepsWhatClientsUse(string uri, bool refused)
    {
        Assert.Equal(refused, RedirectUris.Problem(uri, RegistrationOptions.DefaultDeniedRedirectSchemes) is not null);
    }

    [Fact]
    public void Problem_WithAnEmptyDenyList_StillRefusesScriptAndFileSchemes_AndAConfiguredListIsHonoured()
    {
        Assert.NotNull(RedirectUris.Problem("javascript://x/%0Aalert(1)", []));
        Assert.NotNull(RedirectUris.Problem("file:///etc/passwd", []));
        Assert.Null(RedirectUris.Problem("mailto:a@example.com", []));
        Assert.NotNull(RedirectUris.Problem("cursor://anysphere.cursor-mcp/oauth/callback", ["cursor"]));
    }

    [Theory]
    [InlineData("http://127.0.0.1/", "http://127.0.0.1:54321/", true)]
    [InlineData("http://127.0.0.1:33418/", "http://127.0.0.1:54321/", true)]
    [InlineData("http://127.0.0.1:33418", "http://127.0.0.1:54321/", true)]
    [InlineData("http://localhost:1/callback", "http://LOCALHOST:2/callback", true)]
    [InlineData("http://[::1]:1/cb", "http://[::1]:2/cb", true)]
    [InlineData("http://127.0.0.1:1/cb?x=1", "http://127.0.0.1:2/cb?x=1", true)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:2/cb/", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:2/cb?x=1", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.2:2/cb", false)]
    [InlineData("http://localhost/cb", "http://127.0.0.1:2/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:2@evil.example/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://evil.example:2/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:99999/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:0/cb", false)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:2/cb#x", false)]
    [InlineData("http://127.0.0.1/c%0Ab", "http://127.0.0.1:2/c%0Ab", true)]
    [InlineData("http://127.0.0.1/cb", "http://127.0.0.1:2/cb\n", false)]
    [InlineData("http://127.0.0.1/cb", "https://127.0.0.1:2/cb", false)]
    [InlineData("https://app.example/cb", "https://app.example:444/cb", false)]
    [InlineData("cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp:1/oauth/callback", false)]
    public void Matches_IsExactExceptThePortOnLoopback(string registered, string requested, bool matches)
    {
        Assert.Equal(matches, RedirectUris.Matches(registered, requested));
    }

    private static async Task<HttpStatusCode> AuthorizeStatusAsync(Uri gateway, string clientId)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, AuthTestKit.Pkce().Challenge));
        return response.StatusCode;
    }

    /// <summary>POST /register with <paramref name="document"/>, from <paramref name="source"/> when given.</summary>
    private static async Task<(HttpStatusCode Status, JsonNode Body)> RegisterAsync(Uri gateway, JsonObject document, bool chunked = false, IPAddress? source = null)
    {
        var handler = new SocketsHttpHandler();
        if (source is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }
        using var http = new HttpClient(handler);
        HttpContent content = new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json");
        if (chunked)
        {
            content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(document.ToJsonString())));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/register")) { Content = content };
        request.Headers.TransferEncodingChunked = chunked ? true : null;
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
