using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MasterMcp.Credentials;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Credentials;

/// <summary>delegate_oauth end to end: URL elicitation, consent at a real provider, per-user catalogs and tokens, isolation, revocation, no secrets at rest or in logs.</summary>
[Collection("azurite")]
public sealed partial class DelegatedFlowTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DelegatedFlow_ElicitsConnects_AndEachUserReachesTheBackendWithTheirOwnToken_NeverAnothers()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite);
        var (aliceToken, aliceBrowser) = await bed.SignInAsync("alice");
        var (bobToken, bobBrowser) = await bed.SignInAsync("bob");
        var aliceToolsChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var alice = await CredentialsBed.ConnectAsync(bed.A, aliceToken, onToolsChanged: () => aliceToolsChanged.TrySetResult());
        await using var bob = await CredentialsBed.ConnectAsync(bed.A, bobToken, urlElicitation: false);

        // Before connecting: the placeholder tool, plus the shared backend's tools.
        var before = await Names(alice);
        Assert.Contains("prot__connect", before);
        Assert.DoesNotContain("prot__whoami", before);
        Assert.Contains("open__echo", before);
        var connectTool = (await alice.ListToolsAsync()).Single(t => t.Name == "prot__connect");
        Assert.Contains("reading who you are", connectTool.Description, StringComparison.Ordinal);

        // A client with URL elicitation gets -32042 with the link.
        var firstLink = await ElicitedLinkAsync(alice, "prot__connect");
        Assert.StartsWith(bed.A.BaseAddress + "connect?id=", firstLink, StringComparison.Ordinal);

        // Bob (an older client) gets a tool error carrying his own link, also for a backend name he cannot see yet.
        var bobLink = await ToolErrorLinkAsync(bob, "prot__whoami");
        Assert.NotEqual(firstLink, bobLink);

        // Bob cannot open Alice's link.
        var (foreignStatus, foreignPage) = await CredentialsBed.FollowAsync(bobBrowser, firstLink);
        Assert.Equal(HttpStatusCode.Forbidden, foreignStatus);
        Assert.Contains("issued to another user", foreignPage, StringComparison.Ordinal);

        // Bob cannot complete a flow Alice started: Alice's browser reaches the provider, Bob's browser finishes it.
        var atProvider = await aliceBrowser.RunAsync(new Uri(firstLink), bed.BackendIdp.Issuer);
        var state = AuthTestKit.Query(atProvider, "state")!;
        Assert.Equal("S256", AuthTestKit.Query(atProvider, "code_challenge_method"));
        var (hijackStatus, hijackPage) = await CredentialsBed.FollowAsync(bobBrowser, atProvider.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, hijackStatus);
        Assert.Contains("another browser", hijackPage, StringComparison.Ordinal);
        Assert.Null(await bed.Vault().GetAsync(new UserIdentity(bed.Idp.Issuer, "alice"), "prot"));
        Assert.Null(await bed.Vault().GetAsync(new UserIdentity(bed.Idp.Issuer, "bob"), "prot"));

        // The link was single-use: opening it again fails.
        var (reuseStatus, _) = await CredentialsBed.FollowAsync(aliceBrowser, firstLink);
        Assert.Equal(HttpStatusCode.BadRequest, reuseStatus);

        // Alice connects for real: login and consent at the provider, callback, success page.
        var link = await ElicitedLinkAsync(alice, "prot__connect");
        var (status, page) = await CredentialsBed.FollowAsync(aliceBrowser, link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("now connected", page, StringComparison.Ordinal);
        await aliceToolsChanged.Task.WaitAsync(TimeSpan.FromSeconds(15));

        var after = await Names(alice);
        Assert.Contains("prot__whoami", after);
        Assert.DoesNotContain("prot__connect", after);
        Assert.Contains("sub=alice", await TextAsync(alice, "prot__whoami"), StringComparison.Ordinal);

        // Bob still sees only the placeholder, and still cannot reach the backend.
        var bobNames = await Names(bob);
        Assert.Contains("prot__connect", bobNames);
        Assert.DoesNotContain("prot__whoami", bobNames);
        var pendingBobLink = await ToolErrorLinkAsync(bob, "prot__whoami");

        // Bob connects with his own link and gets his own token.
        var (bobStatus, _) = await CredentialsBed.FollowAsync(bobBrowser, bobLink);
        Assert.Equal(HttpStatusCode.OK, bobStatus);
        Assert.Contains("sub=bob", await TextAsync(bob, "prot__whoami"), StringComparison.Ordinal);
        Assert.Contains("sub=alice", await TextAsync(alice, "prot__whoami"), StringComparison.Ordinal);

        // Raw rows: no token, link id, state or secret in plain text, base64 or URL-encoded.
        var vault = bed.Vault();
        var aliceTokens = (await vault.GetAsync(new UserIdentity(bed.Idp.Issuer, "alice"), "prot"))!;
        var bobTokens = (await vault.GetAsync(new UserIdentity(bed.Idp.Issuer, "bob"), "prot"))!;
        var abandoned = await aliceBrowser.RunAsync(new Uri(await LinkFromConnectionsAsync(bed, aliceBrowser, "prot", disconnectFirst: false)), bed.BackendIdp.Issuer);
        var pendingState = AuthTestKit.Query(abandoned, "state")!;
        var rows = await bed.RawTablesAsync();
        Assert.Contains("connect", rows, StringComparison.Ordinal);
        var secrets = new List<string> { aliceTokens.AccessToken, aliceTokens.RefreshToken!, bobTokens.AccessToken, bobTokens.RefreshToken!, Id(pendingBobLink), pendingState, state, CredentialsBed.BackendSecret };
        AssertNoneIn(rows, secrets, "raw table rows");

        // Revocation on /connections (CSRF-protected): Alice is back to the placeholder.
        using (var noCsrf = await aliceBrowser.PostFormAsync(new Uri(bed.A.BaseAddress, "/connections"), new Dictionary<string, string> { ["backend"] = "prot", ["action"] = "disconnect" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        }
        await LinkFromConnectionsAsync(bed, aliceBrowser, "prot", disconnectFirst: true);
        Assert.Null(await vault.GetAsync(new UserIdentity(bed.Idp.Issuer, "alice"), "prot"));
        Assert.Contains("prot__connect", await Names(alice));
        Assert.Contains("sub=bob", await TextAsync(bob, "prot__whoami"), StringComparison.Ordinal);

        // Logs of every party at Trace level: no token or secret.
        var logs = bed.Logs.Text + bed.Idp.Output + bed.BackendIdp.Output + bed.Protected.Output + bed.Open.Output;
        Assert.NotEmpty(bed.Logs.Text);
        AssertNoneIn(logs, [aliceTokens.AccessToken, aliceTokens.RefreshToken!, bobTokens.AccessToken, bobTokens.RefreshToken!, aliceToken, bobToken,
            CredentialsBed.BackendSecret, CredentialsBed.UpstreamSecret, bed.TokenKey], "logs");
    }

    [Fact]
    public async Task ConnectRequired_IsLoggedAsOneInformationLine_NotAsAFailureWithAStackTrace()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite);
        var (carolToken, _) = await bed.SignInAsync("carol");
        await using var withUrlElicitation = await CredentialsBed.ConnectAsync(bed.A, carolToken);
        await using var older = await CredentialsBed.ConnectAsync(bed.A, carolToken, urlElicitation: false);
        foreach (var (client, call) in new (McpClient, Func<McpClient, string, Task<string>>)[] { (withUrlElicitation, ElicitedLinkAsync), (older, ToolErrorLinkAsync) })
        {
            var before = bed.Logs.Entries.Count;
            await call(client, "prot__connect");
            // The call's handler has finished (and logged) once a later request on the same session has been answered.
            await client.PingAsync();
            var entries = bed.Logs.Entries.Skip(before).ToList();
            var consent = Assert.Single(entries, e => e.Contains("needs the user to connect", StringComparison.Ordinal));
            Assert.StartsWith("Information ", consent, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', consent);
            Assert.DoesNotContain(entries, e => e.StartsWith("Warning ", StringComparison.Ordinal) || e.StartsWith("Error ", StringComparison.Ordinal) || e.StartsWith("Critical ", StringComparison.Ordinal));
            Assert.DoesNotContain(entries, e => e.Contains("UrlElicitationRequiredException", StringComparison.Ordinal) || e.Contains("ConnectLinkException", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Connections_PostFromAnotherSite_IsRefusedEvenWithTheCsrfToken()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite);
        var (_, browser) = await bed.SignInAsync("dave");
        var url = new Uri(bed.A.BaseAddress, "/connections");
        using var page = await browser.GetAsync(url);
        // The page's own forms must carry its Origin: a no-referrer page would make browsers send "Origin: null".
        Assert.Equal("same-origin", page.Headers.GetValues("Referrer-Policy").Single());
        var form = new Dictionary<string, string> { ["csrf"] = CsrfRegex().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value, ["backend"] = "prot", ["action"] = "connect" };
        var otherPort = new UriBuilder(url) { Port = AuthTestKit.FreePort() }.Uri;
        foreach (var (what, headers) in new (string, Action<System.Net.Http.Headers.HttpRequestHeaders>)[]
        {
            ("another site's Origin", h => Replace(h, "https://evil.example")),
            ("Origin null (sandboxed frame)", h => Replace(h, "null")),
            ("another port of the same host", h => Replace(h, otherPort.GetLeftPart(UriPartial.Authority))),
            ("no Origin, another site's Referer", h => Replace(h, null, new Uri("https://evil.example/page"))),
            ("neither Origin nor Referer", h => Replace(h, null)),
        })
        {
            using var post = await browser.PostFormAsync(url, form, headers);
            Assert.True(post.StatusCode == HttpStatusCode.Forbidden, $"{what}: {(int)post.StatusCode}");
        }
        using (var byReferer = await browser.PostFormAsync(url, form, h => Replace(h, null, url)))
        {
            Assert.Equal(HttpStatusCode.Redirect, byReferer.StatusCode);
        }
        using var own = await browser.PostFormAsync(url, form);
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);

        static void Replace(System.Net.Http.Headers.HttpRequestHeaders headers, string? origin, Uri? referer = null)
        {
            headers.Remove("Origin");
            if (origin is not null)
            {
                headers.Add("Origin", origin);
            }
            headers.Referrer = referer;
        }
    }

    internal static async Task<List<string>> Names(McpClient client) => [.. (await client.ListToolsAsync()).Select(t => t.Name)];

    internal static async Task<string> TextAsync(McpClient client, string tool)
    {
        var result = await client.CallToolAsync(tool);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        Assert.False(result.IsError == true, text);
        return text;
    }

    /// <summary>
    /// Calls <paramref name="tool"/> until the user is asked to connect again (a URL elicitation); until then each answer
    /// must contain <paramref name="servedText"/>. With <paramref name="cutCallsAllowed"/>, a call failing because its
    /// backend session was being closed meanwhile counts as "not yet".
    /// </summary>
    internal static Task UntilAskedToConnectAsync(McpClient client, string tool, string servedText, string because, bool cutCallsAllowed = false) =>
        Wait.Until(async () =>
        {
            try
            {
                Assert.Contains(servedText, await TextAsync(client, tool), StringComparison.Ordinal);
                return false;
            }
            catch (UrlElicitationRequiredException)
            {
                return true;
            }
            catch (McpProtocolException) when (cutCallsAllowed)
            {
                return false;
            }
        }, because);

    internal static async Task<string> ElicitedLinkAsync(McpClient client, string tool)
    {
        var ex = await Assert.ThrowsAnyAsync<McpException>(() => client.CallToolAsync(tool).AsTask());
        var elicitation = Assert.IsType<UrlElicitationRequiredException>(ex, exactMatch: false);
        var request = Assert.Single(elicitation.Elicitations);
        Assert.Equal("url", request.Mode);
        Assert.NotNull(request.ElicitationId);
        return request.Url!;
    }

    internal static async Task<string> ToolErrorLinkAsync(McpClient client, string tool)
    {
        var result = await client.CallToolAsync(tool);
        Assert.True(result.IsError);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        return LinkRegex().Match(text) is { Success: true } m ? m.Value : throw new InvalidOperationException("no link in: " + text);
    }

    private static string Id(string link) => link[(link.IndexOf("id=", StringComparison.Ordinal) + 3)..];

    /// <summary>Uses the /connections page: disconnects (when asked) or starts a connection; returns the connect link.</summary>
    internal static async Task<string> LinkFromConnectionsAsync(CredentialsBed bed, BrowserDriver browser, string backend, bool disconnectFirst)
    {
        using var page = await browser.GetAsync(new Uri(bed.A.BaseAddress, "/connections"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csrf = CsrfRegex().Match(html).Groups[1].Value;
        using var post = await browser.PostFormAsync(new Uri(bed.A.BaseAddress, "/connections"),
            new Dictionary<string, string> { ["csrf"] = csrf, ["backend"] = backend, ["action"] = disconnectFirst ? "disconnect" : "connect" });
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        return new Uri(bed.A.BaseAddress, post.Headers.Location!).ToString();
    }

    internal static void AssertNoneIn(string haystack, IEnumerable<string> values, string where)
    {
        foreach (var value in values)
        {
            foreach (var form in new[] { value, Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), Uri.EscapeDataString(value), WebUtility.UrlEncode(value) })
            {
                Assert.False(haystack.Contains(form, StringComparison.Ordinal), $"a secret value ({value.Length} chars) appears in the {where}");
            }
        }
    }

    [GeneratedRegex(@"http://\S+/connect\?id=[A-Za-z0-9_-]+")]
    private static partial Regex LinkRegex();

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfRegex();
}
