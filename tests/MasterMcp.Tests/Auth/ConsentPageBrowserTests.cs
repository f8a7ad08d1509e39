using System.Net;
using MasterMcp.Tests.Fixtures;
using Microsoft.Playwright;

namespace MasterMcp.Tests.Auth;

/// <summary>The consent page in headless Chromium (Debian's chromium driven by Playwright): it names the client, its redirect host and the scopes, and approving completes the flow.</summary>
[Collection("azurite")]
public sealed class ConsentPageBrowserTests(AzuriteFixture azurite)
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task ConsentPage_ShowsClientRedirectHostAndScopes_AndApprovingCompletesTheFlow()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium");
        await using var idp = await OidcProviderProcess.StartAsync();
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var port = AuthTestKit.FreePort();
        await using var gateway = await GatewayInstance.StartAsync(AuthTestKit.GatewayConfig(port, idp.Issuer, backend.McpUrl, AuthTestKit.NewSigningKeyReference()), azurite.ConnectionString, port: port);
        const string redirect = "http://127.0.0.1:1/browser-callback";
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway.BaseUrl, redirect, name: "Chromium Test Client");
        var (verifier, challenge) = AuthTestKit.Pkce();

        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await chromium.NewPageAsync();
        // The client's redirect target does not exist: catch the navigation there and keep its URL.
        var redirected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(redirect + "**", async route =>
        {
            redirected.TrySetResult(route.Request.Url);
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/plain", Body = "done" });
        });

        await page.GotoAsync(AuthTestKit.AuthorizeUrl(gateway.BaseUrl, clientId, challenge, redirectUri: redirect).ToString());
        Assert.EndsWith("/oauth/consent", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Chromium Test Client", await page.InnerTextAsync("#client-name"));
        Assert.Equal("127.0.0.1:1", await page.InnerTextAsync("#redirect-host"));
        Assert.Contains("mcp", await page.InnerTextAsync("#scopes"), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        await page.WaitForSelectorAsync("input[name=login]");
        await page.FillAsync("input[name=login]", "ivan");
        await page.FillAsync("input[name=password]", "any-password");
        await page.ClickAsync("button[type=submit]");
        // oidc-provider's development interactions may ask to confirm the grant once more: press its button if it comes.
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Continue" });
        var shown = confirm.WaitForAsync(new LocatorWaitForOptions { Timeout = 15000 });
        if (await Task.WhenAny(redirected.Task, shown) == shown && shown.IsCompletedSuccessfully)
        {
            await confirm.ClickAsync();
        }
        string redirectedTo;
        try
        {
            redirectedTo = await redirected.Task.WaitAsync(Wait.DefaultPatience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the flow did not reach the client; the browser is at {page.Url}: {await page.ContentAsync()}");
            throw;
        }
        var final = new Uri(redirectedTo);

        var (status, tokens) = await AuthTestKit.TokenAsync(gateway.BaseUrl, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = AuthTestKit.Query(final, "code")!,
            ["redirect_uri"] = redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        using var http = new HttpClient();
        using var mcp = await http.SendAsync(AuthTestKit.InitializeRequest(gateway.BaseUrl, tokens["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, mcp.StatusCode);
    }
}
