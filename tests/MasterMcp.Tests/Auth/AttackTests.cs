using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Auth;

/// <summary>Each attack on the built-in authorization server is refused.</summary>
[Collection("azurite")]
public sealed class AttackTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private GatewayModeBed _bed = null!;
    private Uri Base => _bed.Gateway.BaseUrl;

    public async Task InitializeAsync() => _bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Authorize_WithoutPkce_RedirectsWithInvalidRequest()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var location = await FirstRedirectAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge: null, method: null));
        Assert.StartsWith(AuthTestKit.Redirect, location.ToString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request", AuthTestKit.Query(location, "error"));
        Assert.Null(AuthTestKit.Query(location, "code"));
    }

    [Fact]
    public async Task Authorize_WithPlainPkce_RedirectsWithInvalidRequest()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var (verifier, _) = AuthTestKit.Pkce();
        var location = await FirstRedirectAsync(AuthTestKit.AuthorizeUrl(Base, clientId, verifier, "plain"));
        Assert.Equal("invalid_request", AuthTestKit.Query(location, "error"));
        Assert.Contains("S256", AuthTestKit.Query(location, "error_description"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WithWrongVerifier_IsInvalidGrant()
    {
        var (clientId, secret) = await AuthTestKit.RegisterAsync(Base);
        var (_, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge));
        var (status, body) = await RedeemAsync(clientId, secret, code, AuthTestKit.Pkce().Verifier);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Authorize_WithUnregisteredRedirectUri_ShowsAnErrorPageAndNeverRedirects()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var (_, challenge) = AuthTestKit.Pkce();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge, redirectUri: "http://127.0.0.1:1/evil"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_UsedTwice_IsRefusedAndRevokesWhatTheFirstUseIssued_RefreshAndAccessToken()
    {
        var (clientId, secret) = await AuthTestKit.RegisterAsync(Base);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge));
        var (first, tokens) = await RedeemAsync(clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, first);
        var access = tokens["access_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(access));

        var (second, error) = await RedeemAsync(clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, second);
        Assert.Equal("invalid_grant", error["error"]!.GetValue<string>());
        var (refresh, _) = await RefreshAsync(clientId, secret, tokens["refresh_token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, refresh);
        await AssertRefusedAtMcpAsync(access);
    }

    [Fact]
    public async Task Code_ReusedWhileTheFirstRedemptionIsInFlight_LeavesARevokedGrantTheFirstCannotCreate()
    {
        var (clientId, secret) = await AuthTestKit.RegisterAsync(Base);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge));
        // The state a first redemption is in between marking the code used and creating its grant, written directly.
        var store = _bed.Gateway.Services.GetRequiredService<MasterMcp.Auth.AuthStore>();
        var row = MasterMcp.Auth.TokenCrypto.Hash(code);
        var codes = MasterMcp.Auth.AuthJsonContext.Default.AuthorizationCodeRecord;
        var entity = (await store.GetAsync(MasterMcp.Auth.AuthStore.Codes, row, codes, default))!;
        var familyId = MasterMcp.Auth.TokenCrypto.NewHandle();
        await store.Table.UpdateAsync(MasterMcp.Auth.AuthStore.Codes, row, entity.Value with { Used = true, FamilyId = familyId }, entity.ETag, codes, entity.ExpiresAt, default);

        var (status, error) = await RedeemAsync(clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", error["error"]!.GetValue<string>());

        // The grant the first redemption is about to create exists already, revoked, so its insert conflicts.
        var families = MasterMcp.Auth.AuthJsonContext.Default.TokenFamily;
        Assert.True((await store.GetAsync(MasterMcp.Auth.AuthStore.Families, familyId, families, default))?.Value.Revoked);
        await Assert.ThrowsAsync<MasterMcp.Storage.StoreConflictException>(() =>
            store.AddAsync(MasterMcp.Auth.AuthStore.Families, familyId, new MasterMcp.Auth.TokenFamily(clientId, "user", DateTimeOffset.UtcNow), families, null, default));
    }

    [Fact]
    public async Task RefreshToken_Reused_RevokesTheWholeFamily_AccessTokensIncluded()
    {
        var (clientId, secret, tokens) = await GrantAsync();
        var original = tokens["refresh_token"]!.GetValue<string>();

        var (rotatedStatus, rotated) = await RefreshAsync(clientId, secret, original);
        Assert.Equal(HttpStatusCode.OK, rotatedStatus);
        var next = rotated["refresh_token"]!.GetValue<string>();
        Assert.NotEqual(original, next);
        var accessTokens = new[] { tokens["access_token"]!.GetValue<string>(), rotated["access_token"]!.GetValue<string>() };
        foreach (var access in accessTokens)
        {
            // Accepted (and the grant's state cached as "not revoked") before the reuse.
            Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(access));
        }

        var (reuseStatus, reuse) = await RefreshAsync(clientId, secret, original);
        Assert.Equal(HttpStatusCode.BadRequest, reuseStatus);
        Assert.Equal("invalid_grant", reuse["error"]!.GetValue<string>());
        var (afterStatus, _) = await RefreshAsync(clientId, secret, next);
        Assert.Equal(HttpStatusCode.BadRequest, afterStatus);
        foreach (var access in accessTokens)
        {
            await AssertRefusedAtMcpAsync(access);
        }
    }

    [Theory]
    [InlineData("resource", "https://elsewhere.example/mcp", "invalid_target")]
    [InlineData("scope", "mcp admin", "invalid_scope")]
    [InlineData("scope", "", "invalid_scope")]
    public async Task Refresh_RefusedForABadParameter_LeavesTheRefreshTokenUsableForACorrectRetry(string parameter, string value, string expectedError)
    {
        var (clientId, secret, tokens) = await GrantAsync();
        var refreshToken = tokens["refresh_token"]!.GetValue<string>();

        var (badStatus, bad) = await AuthTestKit.TokenAsync(Base, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
            [parameter] = value,
        });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal(expectedError, bad["error"]!.GetValue<string>());

        var (retryStatus, retry) = await RefreshAsync(clientId, secret, refreshToken);
        Assert.Equal(HttpStatusCode.OK, retryStatus);
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(retry["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(tokens["access_token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Revoke_OfARefreshToken_AlsoRefusesTheGrantsAccessTokens()
    {
        var (clientId, secret, tokens) = await GrantAsync();
        var access = tokens["access_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(access));

        using var http = new HttpClient();
        using var revoke = await http.PostAsync(new Uri(Base, "/revoke"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = tokens["refresh_token"]!.GetValue<string>(),
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        await AssertRefusedAtMcpAsync(access);
    }

    [Fact]
    public async Task Authorize_WithPromptConsent_ShowsTheConsentPageAgain_EvenForAnApprovedClient()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver();
        await browser.RunAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge), AuthTestKit.Redirect);
        Assert.Single(browser.ConsentPages);

        // Approved and signed in: without prompt the code comes at once, with prompt=consent the page is shown again.
        await browser.RunAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge), AuthTestKit.Redirect);
        Assert.Single(browser.ConsentPages);
        var prompted = new Uri(AuthTestKit.AuthorizeUrl(Base, clientId, challenge) + "&prompt=consent");
        var location = await FirstRedirectAsync(prompted, browser);
        Assert.StartsWith("/oauth/consent?request=", location.ToString(), StringComparison.Ordinal);
        var final = await browser.RunAsync(prompted, AuthTestKit.Redirect);
        Assert.Equal(2, browser.ConsentPages.Count);
        Assert.NotNull(AuthTestKit.Query(final, "code"));
    }

    [Theory]
    [InlineData('\u202E')]
    [InlineData('\u202A')]
    [InlineData('\u2066')]
    [InlineData('\u2069')]
    [InlineData('\u200B')]
    public async Task ConsentPage_ShowsBidiControlsInTheClientNameAsVisibleEscapes(char control)
    {
        // "Evil<RLO>moc.elgoog" would read as "Evilgoogle.com".
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base, name: "Evil" + control + "moc.elgoog");
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver();
        var consent = await FirstRedirectAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge), browser);
        using var page = await browser.GetAsync(new Uri(Base, consent));
        var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain(control.ToString(), html, StringComparison.Ordinal);
        Assert.Contains($"Evil[U+{(int)control:X4}]moc.elgoog", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginCallback_WithTamperedOrReplayedState_IsRefused()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver();
        // Run until the IdP sends the browser back to the gateway's callback, and stop there.
        var callback = await browser.RunAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge), new Uri(Base, "/oauth/callback").ToString());
        var state = AuthTestKit.Query(callback, "state")!;
        var code = AuthTestKit.Query(callback, "code")!;

        var tampered = await browser.GetAsync(new Uri(Base, $"/oauth/callback?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state[..^2] + "xx")}"));
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);

        var genuine = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, genuine.StatusCode);
        Assert.StartsWith(AuthTestKit.Redirect, genuine.Headers.Location!.ToString(), StringComparison.Ordinal);

        var replayed = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Null(replayed.Headers.Location);
    }

    [Fact]
    public async Task ConsentForm_PostedWithoutTheCsrfToken_IsRefused()
    {
        var (clientId, _) = await AuthTestKit.RegisterAsync(Base);
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver();
        var consent = (await browser.GetAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge))).Headers.Location!;
        var page = await browser.GetAsync(new Uri(Base, consent));
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var request = AuthTestKit.Query(new Uri(Base, consent), "request")!;
        var post = await browser.PostFormAsync(new Uri(Base, "/oauth/consent"), new Dictionary<string, string> { ["request"] = request, ["csrf"] = "forged", ["decision"] = "approve" });
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
    }

    [Theory]
    [InlineData("/%09/evil.example/x")] // the reported attack: Location "/\t/evil.example/x" is http://evil.example/x to a browser
    [InlineData("/%0D/evil.example/x")]
    [InlineData("/%0A/evil.example/x")]
    [InlineData("/%0B/evil.example/x")]
    [InlineData("/%E3%80%80/evil.example/x")]
    [InlineData("/%5Cevil.example/x")]
    [InlineData("%5C%5Cevil.example/x")]
    [InlineData("%09//evil.example/x")]
    [InlineData("//evil.example/x")]
    [InlineData("/%2509/evil.example/x")]
    [InlineData("/%252F/evil.example/x")]
    [InlineData("/%255C/evil.example/x")]
    [InlineData("https://evil.example/x")]
    public async Task Login_WithReturnUrlABrowserWouldResolveElsewhere_Is400NamingTheProblem(string rawQueryValue)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(new Uri(Base, "/auth/login?return_url=" + rawQueryValue));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("invalid_return_url", body["error"]!.GetValue<string>());
        Assert.StartsWith("return_url ", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WithLocalReturnUrl_ComesBackToItAfterSignIn()
    {
        using var browser = new BrowserDriver();
        var back = await browser.RunAsync(new Uri(Base, "/auth/login?return_url=" + Uri.EscapeDataString("/connections?x=1")), new Uri(Base, "/connections").ToString());
        Assert.Equal(new Uri(Base, "/connections?x=1"), back);
    }

    [Fact]
    public async Task LoginCallback_WithAStoredReturnUrlThatLeavesTheGateway_Is400AndNeverRedirects()
    {
        // A login state written before return URLs were checked at /auth/login (states live ten minutes).
        using var browser = new BrowserDriver();
        var callback = await browser.RunAsync(new Uri(Base, "/auth/login?return_url=%2Fconnections"), new Uri(Base, "/oauth/callback").ToString());
        var store = _bed.Gateway.Services.GetRequiredService<MasterMcp.Auth.AuthStore>();
        var row = MasterMcp.Auth.TokenCrypto.Hash(AuthTestKit.Query(callback, "state")!);
        var login = await store.GetAsync(MasterMcp.Auth.AuthStore.Logins, row, MasterMcp.Auth.AuthJsonContext.Default.LoginState, default);
        await store.UpsertAsync(MasterMcp.Auth.AuthStore.Logins, row, login!.Value with { ReturnUrl = "/\r/evil.example/x" }, MasterMcp.Auth.AuthJsonContext.Default.LoginState,
            login.ExpiresAt, default);

        using var response = await browser.GetAsync(callback);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("control character U+000D", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/cb\t")]
    [InlineData("http://127.0.0.1:1/c\rb")]
    [InlineData("https://app.example/cb\n")]
    [InlineData("https://app.example/cb\u000b")]
    [InlineData("https://app.example/\u3000cb")]
    [InlineData(" https://app.example/cb")]
    [InlineData("cursor://anysphere.cursor-mcp/oauth/\u0000callback")]
    public async Task Register_WithControlCharacterInRedirectUri_IsRefused(string redirectUri)
    {
        using var http = new HttpClient();
        var json = new JsonObject { ["redirect_uris"] = new JsonArray(redirectUri), ["token_endpoint_auth_method"] = "none" }.ToJsonString();
        using var response = await http.PostAsync(new Uri(Base, "/register"), new StringContent(json, Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_redirect_uri", body["error"]!.GetValue<string>());
        Assert.Contains("percent-encode it", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_WithLoneSurrogateOrDuplicateKey_Is400NamingTheProblem()
    {
        using var http = new HttpClient();
        foreach (var (json, expected) in new[]
        {
            ("{\"redirect_uris\":[\"http://127.0.0.1:1/cb\"],\"client_name\":\"\\ud800\"}", "lone surrogate"),
            ("{\"redirect_uris\":[\"http://127.0.0.1:1/cb\"],\"client_name\":\"a\",\"client_name\":\"b\"}", "not valid JSON"),
        })
        {
            using var response = await http.PostAsync(new Uri(Base, "/register"), new StringContent(json, Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_client_metadata", body["error"]!.GetValue<string>());
            Assert.Contains(expected, body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("token")]
    [InlineData("revoke")]
    [InlineData("oauth/consent")]
    public async Task Form_WithKeyOver2048Characters_Is400InvalidRequest(string path)
    {
        using var http = new HttpClient();
        using var content = new StringContent(new string('k', 2049) + "=v&client_id=preregistered", Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync(new Uri(Base, "/" + path), content);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        Assert.Contains("2048", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        if (path != "oauth/consent")
        {
            Assert.Equal(body["message"]!.GetValue<string>(), body["error_description"]!.GetValue<string>());
        }
    }

    private async Task<Uri> FirstRedirectAsync(Uri url)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    private static async Task<Uri> FirstRedirectAsync(Uri url, BrowserDriver browser)
    {
        using var response = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    private Task<HttpStatusCode> McpStatusAsync(string accessToken) => AuthTestKit.McpStatusAsync(Base, accessToken);

    /// <summary>A registered client and the tokens of one completed authorization.</summary>
    private async Task<(string ClientId, string? Secret, JsonNode Tokens)> GrantAsync()
    {
        var (clientId, secret) = await AuthTestKit.RegisterAsync(Base);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(Base, clientId, challenge));
        var (status, tokens) = await RedeemAsync(clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        return (clientId, secret, tokens);
    }

    // One instance: its own revocation is refused at once (the cache window only delays other instances, see TwoInstanceTests).
    private Task AssertRefusedAtMcpAsync(string accessToken) => AuthTestKit.AssertRefusedAtMcpAsync(Base, accessToken);

    private Task<(HttpStatusCode Status, JsonNode Body)> RedeemAsync(string clientId, string? secret, string code, string verifier) =>
        AuthTestKit.RedeemAsync(Base, clientId, secret, code, verifier);

    private Task<(HttpStatusCode, JsonNode)> RefreshAsync(string clientId, string? secret, string refreshToken) =>
        AuthTestKit.TokenAsync(Base, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
}
