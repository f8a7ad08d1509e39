using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Auth;

/// <summary>Two gateway instances behind one public URL share Azurite: a flow hops between them and their tokens are interchangeable.</summary>
[Collection("azurite")]
public sealed class TwoInstanceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task FlowStartedOnOneInstance_CompletesOnTheOther_AndEachAcceptsTheOthersTokens()
    {
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var key = AuthTestKit.NewSigningKeyReference();
        var portA = AuthTestKit.FreePort();
        var portB = AuthTestKit.FreePort();
        var publicUrl = $"http://127.0.0.1:{portA}";
        // Both instances present the same public URL (as behind a load balancer), share storage and the signing key.
        await using var a = await GatewayInstance.StartAsync(AuthTestKit.GatewayConfig(portA, idp.Issuer, backend.McpUrl, key, publicUrl), azurite.ConnectionString, port: portA);
        await using var b = await GatewayInstance.StartAsync(AuthTestKit.GatewayConfig(portB, idp.Issuer, backend.McpUrl, key, publicUrl), azurite.ConnectionString, port: portB);

        // Registration on A; /authorize on A; consent page, IdP callback and code issuance on B ("the balancer" rewrites gateway hops).
        var (clientId, secret) = await AuthTestKit.RegisterAsync(a.BaseUrl);
        var (verifier, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver
        {
            Login = "heidi",
            Rewrite = u => u.Port == portA && u.AbsolutePath.StartsWith("/oauth/", StringComparison.Ordinal) ? new UriBuilder(u) { Port = portB }.Uri : u,
        };
        var final = await browser.RunAsync(AuthTestKit.AuthorizeUrl(a.BaseUrl, clientId, challenge, resource: publicUrl + "/mcp"), AuthTestKit.Redirect);
        Assert.Contains(browser.Visited, u => u.Port == portA && u.AbsolutePath == "/authorize");
        Assert.Contains(browser.Visited, u => u.Port == portB && u.AbsolutePath == "/oauth/consent");
        Assert.Contains(browser.Visited, u => u.Port == portB && u.AbsolutePath == "/oauth/callback");

        // Code exchange on B.
        var (status, tokens) = await AuthTestKit.TokenAsync(b.BaseUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = AuthTestKit.Query(final, "code")!,
            ["redirect_uri"] = AuthTestKit.Redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var accessFromB = tokens["access_token"]!.GetValue<string>();

        using var http = new HttpClient();
        using (var response = await http.SendAsync(AuthTestKit.InitializeRequest(a.BaseUrl, accessFromB)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Refresh on A with B's refresh token; the new access token works on B.
        var (refreshStatus, refreshed) = await AuthTestKit.TokenAsync(a.BaseUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>(),
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        using var onB = await http.SendAsync(AuthTestKit.InitializeRequest(b.BaseUrl, refreshed["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
    }

    [Fact]
    public async Task GrantRevokedOnOneInstance_ItsAccessTokenIsRefusedOnTheOther_WithinTheCacheWindow()
    {
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var key = AuthTestKit.NewSigningKeyReference();
        var portA = AuthTestKit.FreePort();
        var portB = AuthTestKit.FreePort();
        var publicUrl = $"http://127.0.0.1:{portA}";
        JsonObject Config(int port)
        {
            var config = AuthTestKit.GatewayConfig(port, idp.Issuer, backend.McpUrl, key, publicUrl);
            config["auth"]!["revocation_check_seconds"] = 2;
            return config;
        }
        await using var a = await GatewayInstance.StartAsync(Config(portA), azurite.ConnectionString, port: portA);
        await using var b = await GatewayInstance.StartAsync(Config(portB), azurite.ConnectionString, port: portB);

        var (clientId, secret) = await AuthTestKit.RegisterAsync(a.BaseUrl);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(a.BaseUrl, clientId, challenge, resource: publicUrl + "/mcp"));
        var (status, tokens) = await AuthTestKit.TokenAsync(a.BaseUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = AuthTestKit.Redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var access = tokens["access_token"]!.GetValue<string>();
        // B has looked at the grant: it is cached there as "not revoked".
        Assert.Equal(HttpStatusCode.OK, await McpStatusAsync(b.BaseUrl, access));

        // Refresh-token reuse on A revokes the grant.
        var refresh = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>(),
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        };
        Assert.Equal(HttpStatusCode.OK, (await AuthTestKit.TokenAsync(a.BaseUrl, refresh)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthTestKit.TokenAsync(a.BaseUrl, refresh)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await McpStatusAsync(a.BaseUrl, access));

        // B refuses it once its cached answer is older than the window (2 s; the poll gives up after 10 s, the token lives 600 s).
        await Fidelity.RelayScenarios.Eventually(async () => await McpStatusAsync(b.BaseUrl, access) == HttpStatusCode.Unauthorized);
        using var http = new HttpClient();
        using var refused = await http.SendAsync(AuthTestKit.InitializeRequest(b.BaseUrl, access));
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> McpStatusAsync(Uri gateway, string accessToken)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(AuthTestKit.InitializeRequest(gateway, accessToken));
        return response.StatusCode;
    }
}
