using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Credentials;

/// <summary>
/// The in-memory copy of a user's backend tokens (credentials.cache_seconds): calls of a connected user do not read the
/// store, yet a disconnect is honoured at once on this instance and within the window on another, and a refreshed token
/// replaces the copy.
/// </summary>
[Collection("azurite")]
public sealed partial class VaultCacheTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ConnectedUsersCalls_DoNotReadTheStore_AndADisconnectIsHonouredAtOnce()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, configure: config => config["credentials"] = new JsonObject { ["cache_seconds"] = 60 });
        var (token, browser) = await bed.SignInAsync("alice");
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");
        Assert.Equal(HttpStatusCode.OK, (await CredentialsBed.FollowAsync(browser, link)).Status);
        Assert.Contains("sub=alice", await DelegatedFlowTests.TextAsync(client, "prot__whoami"), StringComparison.Ordinal);

        // Each call used to read (and decrypt) the row three times: catalog, session, HTTP handler. Now none.
        var vault = bed.A.App.Services.GetRequiredService<TokenVault>();
        var reads = vault.StoreReads;
        for (var i = 0; i < 5; i++)
        {
            Assert.Contains("sub=alice", await DelegatedFlowTests.TextAsync(client, "prot__whoami"), StringComparison.Ordinal);
        }
        Assert.Equal(reads, vault.StoreReads);

        // Disconnected on /connections: the copy goes with the row, and the next call asks to connect again.
        await DelegatedFlowTests.LinkFromConnectionsAsync(bed, browser, "prot", disconnectFirst: true);
        var again = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__whoami");
        Assert.Contains("/connect?id=", again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisconnectOnOneInstance_IsHonouredOnTheOther_WithinTheCacheWindow()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, configure: config => config["credentials"] = new JsonObject { ["cache_seconds"] = 2 });
        await using var connected = await bed.ConnectOnTwoInstancesAsync("bob");
        var (browser, onB) = (connected.Browser, connected.OnB);

        // Disconnected through A; B holds a copy of the (still valid, 300 s) token and must stop using it within 2 s.
        await DelegatedFlowTests.LinkFromConnectionsAsync(bed, browser, "prot", disconnectFirst: true);
        await DelegatedFlowTests.UntilAskedToConnectAsync(onB, "prot__whoami", "sub=bob", "B asks bob to connect again once its copy is older than the window");
    }

    [Fact]
    public async Task RefreshedToken_ReplacesTheInMemoryCopy()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, configure: config => config["credentials"] = new JsonObject { ["cache_seconds"] = 60 });
        var (token, browser) = await bed.SignInAsync("carol");
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");
        Assert.Equal(HttpStatusCode.OK, (await CredentialsBed.FollowAsync(browser, link)).Status);
        Assert.Contains("sub=carol", await DelegatedFlowTests.TextAsync(client, "prot__whoami"), StringComparison.Ordinal);
        var carol = new UserIdentity(bed.Idp.Issuer, "carol");
        var gatewayVault = bed.A.App.Services.GetRequiredService<TokenVault>();
        var first = (await gatewayVault.GetAsync(carol, "prot"))!.AccessToken;

        // What a backend's 401 leads to: a refresh of the token the gateway holds (valid for 300 s, so in the cache).
        var definition = bed.A.App.Services.GetRequiredService<MasterMcp.Backends.BackendRegistry>().Definitions.Single(d => d.Id == "prot");
        var fresh = await bed.A.App.Services.GetRequiredService<BackendCredentials>().RefreshAsync(carol, definition, first, CancellationToken.None);
        await bed.BackendIdp.SyncAsync();
        Assert.Single(RefreshRegex().Matches(bed.BackendIdp.Output));

        Assert.NotEqual(first, fresh.AccessToken);
        Assert.Equal(fresh.AccessToken, (await bed.Vault().GetAsync(carol, "prot"))!.AccessToken);
        Assert.Equal(fresh.AccessToken, (await gatewayVault.GetAsync(carol, "prot"))!.AccessToken);
        Assert.Contains("sub=carol", await DelegatedFlowTests.TextAsync(client, "prot__whoami"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendRefusingTheCachedToken_AfterAnotherInstanceRefreshed_TakesTheNewTokenFromTheStore_WithoutRefreshingAgain()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, configure: config => config["credentials"] = new JsonObject { ["cache_seconds"] = 60 });
        await using var connected = await bed.ConnectOnTwoInstancesAsync("dave");
        var onB = connected.OnB;
        var dave = new UserIdentity(bed.Idp.Issuer, "dave");
        var onBServices = bed.Gateways[1].App.Services;
        var held = (await onBServices.GetRequiredService<TokenVault>().GetAsync(dave, "prot"))!.AccessToken;

        // A refreshes (the provider rotates the refresh token); B still holds the old pair in memory.
        var definition = bed.A.App.Services.GetRequiredService<MasterMcp.Backends.BackendRegistry>().Definitions.Single(d => d.Id == "prot");
        var fresh = await bed.A.App.Services.GetRequiredService<BackendCredentials>().RefreshAsync(dave, definition, held, CancellationToken.None);

        // The backend refuses B's token: B's refresh must read the store, find A's token and not spend the old refresh token.
        var onBFresh = await onBServices.GetRequiredService<BackendCredentials>().RefreshAsync(dave, definition, held, CancellationToken.None);
        Assert.Equal(fresh.AccessToken, onBFresh.AccessToken);
        await bed.BackendIdp.SyncAsync();
        Assert.Single(RefreshRegex().Matches(bed.BackendIdp.Output));
        Assert.DoesNotContain("GRANT_ERROR", bed.BackendIdp.Output, StringComparison.Ordinal);
        Assert.Contains("sub=dave", await DelegatedFlowTests.TextAsync(onB, "prot__whoami"), StringComparison.Ordinal);
    }

    [GeneratedRegex("^GRANT refresh_token ", RegexOptions.Multiline)]
    private static partial Regex RefreshRegex();
}
