using System.Text.Json.Nodes;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Foundation;

/// <summary>Query strings carry one-time OAuth codes and states and connect-link ids; no log line may repeat them, even at Trace.</summary>
[Collection("azurite")]
public sealed class LogRedactionTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task QueryStrings_NeverReachTheLogs_EvenAtTrace()
    {
        var logs = new LogCapture();
        // Gateway mode (federating to a real identity provider) so the routes that carry codes, states and link ids exist.
        await using var bed = await GatewayModeBed.StartAsync(
            azurite.ConnectionString,
            config => config["logging"] = new JsonObject { ["level"] = "trace" },
            services => services.AddSingleton<ILoggerProvider>(logs));
        var gateway = bed.Gateway.BaseUrl;
        string Secret(string kind) => $"{kind}-{Guid.NewGuid():N}";
        var secrets = new List<string>();
        string Remember(string value)
        {
            secrets.Add(value);
            return value;
        }

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        await http.GetAsync(new Uri(gateway, $"/health?code={Remember(Secret("code"))}&state={Remember(Secret("state"))}"));
        await http.GetAsync(new Uri(gateway, $"/no-such-path?code={Remember(Secret("code"))}"));
        await http.GetAsync(new Uri(gateway, $"/oauth/callback?code={Remember(Secret("code"))}&state={Remember(Secret("state"))}"));
        await http.GetAsync(new Uri(gateway, $"/oauth/callback?error=access_denied&state={Remember(Secret("state"))}"));
        await http.GetAsync(new Uri(gateway, $"/connect?id={Remember(Secret("link"))}"));
        await http.GetAsync(AuthTestKit.AuthorizeUrl(gateway, Remember(Secret("unknown-client")), Remember(Secret("challenge")), state: Remember(Secret("state"))));

        // A whole sign-in: the client's state and challenge go to /authorize, the provider's code and the gateway's own
        // state come back to /oauth/callback, and the gateway's code goes to the client's redirect URI.
        var (clientId, _) = await AuthTestKit.RegisterAsync(gateway);
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver { Login = "alice" };
        var final = await browser.RunAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge, state: Remember(Secret("client-state"))), AuthTestKit.Redirect);
        secrets.Add(challenge);
        secrets.Add(AuthTestKit.Query(final, "code") ?? throw new InvalidOperationException("no code in " + final));
        var callback = Assert.Single(browser.Visited, u => u.AbsolutePath == "/oauth/callback" && u.Port == gateway.Port);
        secrets.Add(AuthTestKit.Query(callback, "code")!);
        secrets.Add(AuthTestKit.Query(callback, "state")!);

        var text = logs.Text;
        // The pipeline's own request lines prove each route was reached and its logs captured.
        Assert.All(
            new[] { "GET health answered", "GET login-callback answered", "GET connect answered", "GET authorize answered", "GET consent answered" },
            line => Assert.Contains(line, text, StringComparison.Ordinal));
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
    }
}
