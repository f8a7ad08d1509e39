using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Auth;

/// <summary>Two gateway instances behind one public URL share Azurite: a flow hops between them and their tokens are interchangeable.</summary>
[Collection("azurite")]
public sealed class TwoInstanceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task FlowStartedOnOneInstance_CompletesOnTheOther_AndEachAcceptsTheOthersTokens()
    {
        await using var pair = await Pair.StartAsync(azurite);
        var (a, b, publicUrl) = (pair.A, pair.B, pair.PublicUrl);
        var (portA, portB) = (a.BaseUrl.Port, b.BaseUrl.Port);

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
        await using var pair = await Pair.StartAsync(azurite, config => config["auth"]!["revocation_check_seconds"] = 2);
        var (a, b, publicUrl) = (pair.A, pair.B, pair.PublicUrl);

        var (clientId, secret) = await AuthTestKit.RegisterAsync(a.BaseUrl);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(a.BaseUrl, clientId, challenge, resource: publicUrl + "/mcp"));
        var (status, tokens) = await AuthTestKit.RedeemAsync(a.BaseUrl, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        var access = tokens["access_token"]!.GetValue<string>();
        // B has looked at the grant: it is cached there as "not revoked", and the token itself as validated.
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(b.BaseUrl, access));
        var validatorOnB = b.Services.GetRequiredService<MasterMcp.Auth.AccessTokenValidator>();
        var validations = validatorOnB.SignatureValidations;
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(b.BaseUrl, access));
        Assert.Equal(validations, validatorOnB.SignatureValidations);

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
        await AuthTestKit.AssertRefusedAtMcpAsync(a.BaseUrl, access);

        // B refuses it once its cached answer is older than the window (2 s; the token lives 600 s, so only the revocation can explain a refusal).
        await Wait.Until(async () => await AuthTestKit.McpStatusAsync(b.BaseUrl, access) == HttpStatusCode.Unauthorized);
        await AuthTestKit.AssertRefusedAtMcpAsync(b.BaseUrl, access);
    }

    /// <summary>An identity provider, a backend and two instances presenting one public URL (A's) with shared storage and signing key.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public GatewayInstance A { get; private set; } = null!;

        public GatewayInstance B { get; private set; } = null!;

        public string PublicUrl { get; private set; } = "";

        public static async Task<Pair> StartAsync(AzuriteFixture azurite, Action<JsonObject>? configure = null)
        {
            var pair = new Pair();
            try
            {
                var idp = await OidcProviderProcess.StartAsync();
                pair._owned.Add(idp);
                var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
                pair._owned.Add(backend);
                var key = AuthTestKit.NewSigningKeyReference();
                var ports = new[] { AuthTestKit.FreePort(), AuthTestKit.FreePort() };
                pair.PublicUrl = $"http://127.0.0.1:{ports[0]}";
                var instances = new List<GatewayInstance>();
                foreach (var port in ports)
                {
                    var config = AuthTestKit.GatewayConfig(port, idp.Issuer, backend.McpUrl, key, pair.PublicUrl);
                    configure?.Invoke(config);
                    var instance = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port);
                    pair._owned.Insert(0, instance);
                    instances.Add(instance);
                }
                (pair.A, pair.B) = (instances[0], instances[1]);
                return pair;
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var owned in _owned)
            {
                await owned.DisposeAsync();
            }
        }
    }
}
