using System.Net;
using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// The admin console in headless Chromium (Debian's chromium driven by Playwright), behind the gateway's browser login
/// (jwt mode, oidc-provider): an admin signs in (named in admin.subjects, or by a group of her id_token that admin.roles
/// lists), sees the backends with their states, disables one (it leaves the lists
/// and a connected client gets list_changed), re-enables it and revokes a user's connection; every page passes an axe scan
/// without serious or critical violations and logs no console errors; a non-admin gets 403; a cross-site POST is refused.
/// </summary>
[Collection("azurite")]
public sealed class AdminConsoleBrowserTests(AzuriteFixture azurite, AdminBed bed) : IClassFixture<AdminBed>, IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private GatewayInstance _gateway = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;

    private Uri Base => _gateway.BaseUrl;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium");
        var port = FreePort.Next();
        var config = bed.Config(new Uri($"http://127.0.0.1:{port}"));
        config["auth"]!["browser_login"] = new JsonObject { ["client_id"] = "gateway", ["client_secret"] = "gateway-secret" };
        config["admin"]!["subjects"] = new JsonArray("m2m", "ada");
        config["admin"]!["roles"] = new JsonArray("gateway-admins");
        config["storage"] = new JsonObject { ["table_prefix"] = "b" + Guid.NewGuid().ToString("N")[..12] };
        _gateway = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port);
        _playwright = await Playwright.CreateAsync();
        _chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Admin_SignsIn_DisablesAndEnablesABackend_RevokesAConnection_EveryPageAccessibleWithoutConsoleErrors()
    {
        var (page, consoleErrors) = await SignInAsync("ada");
        var token = await bed.AdminTokenAsync(_gateway.McpUrl);
        var (client, changes) = await AdminBed.ConnectAsync(_gateway.McpUrl, token);
        await using var session = client;

        // The backends page: both backends, with their states.
        Assert.Equal("/admin", new Uri(page.Url).AbsolutePath);
        Assert.Equal("connected", await page.InnerTextAsync("tr:has(th:text-is('beta')) td >> nth=0"));
        Assert.Equal("connected", await page.InnerTextAsync("tr:has(th:text-is('alpha')) td >> nth=0"));

        // Disable beta: it leaves the lists, the connected client hears about it.
        var before = changes.Count;
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable backend beta" }).ClickAsync();
        await page.WaitForSelectorAsync("p[role=status]");
        Assert.Equal("disabled", await page.InnerTextAsync("tr:has(th:text-is('beta')) td >> nth=0"));
        Assert.DoesNotContain("beta__echo", await AdminBed.ToolsAsync(client));
        await Wait.Until(() => changes.Count > before, "the connected client gets tools/list_changed");

        // And back.
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable backend beta" }).ClickAsync();
        await page.WaitForSelectorAsync("p[role=status]");
        Assert.Equal("connected", await page.InnerTextAsync("tr:has(th:text-is('beta')) td >> nth=0"));
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));

        // Revoke alice's connection to alpha: the stored token goes.
        var vault = _gateway.Services.GetRequiredService<TokenVault>();
        var alice = new UserIdentity(bed.Idp.Issuer, "alice");
        await vault.SaveAsync(alice, "alpha", new TokenSet { AccessToken = "alice-backend-token" });
        await page.GotoAsync(new Uri(Base, "/admin/users").ToString());
        await page.GetByLabel("Subject").FillAsync("alice");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("text=Backend connections");
        Assert.DoesNotContain("alice-backend-token", await page.ContentAsync(), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke the connection of alice to alpha" }).ClickAsync();
        await page.WaitForSelectorAsync("p[role=status]");
        Assert.Null(await vault.GetAsync(alice, "alpha"));
        Assert.Contains("No stored connections.", await page.ContentAsync(), StringComparison.Ordinal);

        // Every page: no serious or critical accessibility violation.
        foreach (var path in new[] { "/admin", "/admin/catalog", "/admin/sessions", "/admin/users", "/admin/users?subject=alice", "/admin/clients", "/admin/config", "/admin/errors" })
        {
            var response = await page.GotoAsync(new Uri(Base, path).ToString());
            Assert.Equal(200, response!.Status);
            var results = await page.RunAxe();
            var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{path}: {v.Id} ({v.Impact}) {v.Help}").ToList();
            Assert.True(serious.Count == 0, string.Join("\n", serious));
        }
        Assert.True(consoleErrors.Count == 0, string.Join("\n", consoleErrors));
    }

    [Fact]
    public async Task NonAdmin_Gets403_OnTheConsoleAndTheApi()
    {
        var (page, _) = await SignInAsync("mallory", expectAdmin: false);
        Assert.Contains("not_admin", await page.ContentAsync(), StringComparison.Ordinal);
        var api = await page.APIRequest.GetAsync(new Uri(Base, "/admin/api/backends").ToString());
        Assert.Equal(403, api.Status);
        Assert.Equal("not_admin", (string?)JsonNode.Parse(await api.TextAsync())!["error"]);
    }

    [Fact]
    public async Task AGroupInTheIdToken_ListedInAdminRoles_MakesAnAdmin_ThroughTheBrowserLogin()
    {
        // rhea is not in admin.subjects: her id_token's groups claim names gateway-admins, which admin.roles lists.
        var (page, _) = await SignInAsync("rhea");
        var api = await page.APIRequest.GetAsync(new Uri(Base, "/admin/api/backends").ToString());
        Assert.Equal(200, api.Status);
        Assert.Contains("alpha", await api.TextAsync(), StringComparison.Ordinal);
        // The same console form works for her: disable and enable beta.
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable backend beta" }).ClickAsync();
        await page.WaitForSelectorAsync("p[role=status]");
        Assert.True(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends.ContainsKey("beta"), "beta disabled by rhea");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable backend beta" }).ClickAsync();
        await page.WaitForSelectorAsync("p[role=status]");
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);
    }

    [Fact]
    public async Task CrossSitePost_IsRefused_AndAPostWithoutTheCsrfTokenToo()
    {
        var (page, _) = await SignInAsync("ada");
        // A page of another site with a form aimed at the console (what a CSRF attack looks like).
        const string evil = "http://evil.test/attack";
        await page.RouteAsync(evil, route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "text/html",
            Body = $"""<!doctype html><html lang="en"><title>x</title><form method="post" action="{new Uri(Base, "/admin/actions")}"><input type="hidden" name="action" value="disable"><input type="hidden" name="target" value="beta"><button>Win a prize</button></form></html>""",
        }));
        await page.GotoAsync(evil);
        var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("button"), r => r.Url.EndsWith("/admin/actions", StringComparison.Ordinal));
        Assert.Equal(403, response.Status);
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);

        // Same origin, signed in, but no CSRF token: refused as well.
        var forged = await page.APIRequest.PostAsync(new Uri(Base, "/admin/actions").ToString(), new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["Origin"] = Base.GetLeftPart(UriPartial.Authority) },
            Form = page.APIRequest.CreateFormData().Set("action", "disable").Set("target", "beta"),
        });
        Assert.Equal(403, forged.Status);
        Assert.Contains("csrf_token_invalid", await forged.TextAsync(), StringComparison.Ordinal);
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);
    }

    /// <summary>Opens /admin, which sends the browser through the gateway's login at the IdP as <paramref name="login"/>.</summary>
    private async Task<(IPage Page, List<string> ConsoleErrors)> SignInAsync(string login, bool expectAdmin = true)
    {
        var context = await _chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(page.Url + ": " + message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(page.Url + ": " + error);
            }
        };
        await page.GotoAsync(new Uri(Base, "/admin").ToString());
        await page.WaitForSelectorAsync("input[name=login]");
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any-password");
        await page.ClickAsync("button[type=submit]");
        // oidc-provider's development interactions may ask to confirm once more.
        var back = page.WaitForURLAsync(url => url.StartsWith(Base.ToString(), StringComparison.Ordinal) && url.Contains("/admin", StringComparison.Ordinal));
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Continue" });
        var shown = confirm.WaitForAsync(new LocatorWaitForOptions { Timeout = 15000 });
        if (await Task.WhenAny(back, shown) == shown && shown.IsCompletedSuccessfully)
        {
            await confirm.ClickAsync();
        }
        await back;
        await page.WaitForSelectorAsync("h1");
        if (expectAdmin)
        {
            Assert.Equal("Backends", await page.InnerTextAsync("h1"));
        }
        // Only the console's own pages count: the IdP's development login page is not ours.
        lock (errors)
        {
            errors.Clear();
        }
        return (page, errors);
    }
}
