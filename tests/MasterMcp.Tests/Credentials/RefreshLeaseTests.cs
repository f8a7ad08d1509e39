using System.Net;
using System.Text.RegularExpressions;
using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Credentials;

/// <summary>Refresh before expiry: one refresh per (user, backend) across instances, even with a provider that rotates refresh tokens.</summary>
[Collection("azurite")]
public sealed partial class RefreshLeaseTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TenConcurrentCallsWithAnExpiredToken_OverTwoInstances_AllSucceed_WithExactlyOneRefresh_AndALaterRefreshWorks()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2);
        var (token, browser) = await bed.SignInAsync("carol");
        await using (var first = await CredentialsBed.ConnectAsync(bed.A, token))
        {
            var link = await DelegatedFlowTests.ElicitedLinkAsync(first, "prot__connect");
            var (status, _) = await CredentialsBed.FollowAsync(browser, link);
            Assert.Equal(HttpStatusCode.OK, status);
        }
        var carol = new UserIdentity(bed.Idp.Issuer, "carol");
        Assert.Equal(0, Refreshes(bed));

        await ExpireAsync(bed, carol);
        var clients = new List<ModelContextProtocol.Client.McpClient>();
        for (var i = 0; i < 10; i++)
        {
            clients.Add(await CredentialsBed.ConnectAsync(bed.Gateways[i % 2], token));
        }
        try
        {
            var results = await Task.WhenAll(clients.Select(c => DelegatedFlowTests.TextAsync(c, "prot__whoami")));
            Assert.All(results, r => Assert.Contains("sub=carol", r, StringComparison.Ordinal));
            await bed.BackendIdp.SyncAsync();
            Assert.Equal(1, Refreshes(bed));
            Assert.DoesNotContain("GRANT_ERROR", bed.BackendIdp.Output, StringComparison.Ordinal);

            // The rotated refresh token still works later.
            await ExpireAsync(bed, carol);
            Assert.Contains("sub=carol", await DelegatedFlowTests.TextAsync(clients[1], "prot__whoami"), StringComparison.Ordinal);
            await bed.BackendIdp.SyncAsync();
            Assert.Equal(2, Refreshes(bed));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task EightSecondTokens_WithTheDefaultSixtySecondMargin_TenConcurrentCallsOverTwoInstances_RefreshExactlyOnce()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, backendIdpArgs: _ => ["--access-ttl", "8"]);
        var (token, browser) = await bed.SignInAsync("erin");
        await using (var first = await CredentialsBed.ConnectAsync(bed.A, token))
        {
            var link = await DelegatedFlowTests.ElicitedLinkAsync(first, "prot__connect");
            Assert.Equal(HttpStatusCode.OK, (await CredentialsBed.FollowAsync(browser, link)).Status);
        }
        var erin = new UserIdentity(bed.Idp.Issuer, "erin");
        var vault = bed.Vault();
        var issued = (await vault.GetAsync(erin, "prot"))!;
        Assert.InRange((issued.ExpiresAt - issued.IssuedAt)!.Value, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(9));

        var clients = new List<ModelContextProtocol.Client.McpClient>();
        for (var i = 0; i < 10; i++)
        {
            clients.Add(await CredentialsBed.ConnectAsync(bed.Gateways[i % 2], token));
        }
        try
        {
            // The same 8-second token, just expired; refresh_before_seconds stays at its default of 60.
            var now = DateTimeOffset.UtcNow;
            foreach (var instanceVault in InstanceVaults(bed))
            {
                await instanceVault.SaveAsync(erin, "prot", issued with { IssuedAt = now.AddSeconds(-9), ExpiresAt = now.AddSeconds(-1) });
            }
            var results = await Task.WhenAll(clients.Select(c => DelegatedFlowTests.TextAsync(c, "prot__whoami")));
            Assert.All(results, r => Assert.Contains("sub=erin", r, StringComparison.Ordinal));
            await bed.BackendIdp.SyncAsync();
            Assert.Equal(1, Refreshes(bed));
            Assert.DoesNotContain("GRANT_ERROR", bed.BackendIdp.Output, StringComparison.Ordinal);
            Assert.NotEqual(issued.AccessToken, (await vault.GetAsync(erin, "prot"))!.AccessToken);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public void RefreshMargin_IsAtMostAQuarterOfTheTokensLifetime()
    {
        var issued = DateTimeOffset.UnixEpoch;
        TokenSet Lasting(int seconds) => new() { AccessToken = "a", IssuedAt = issued, ExpiresAt = issued.AddSeconds(seconds) };
        Assert.Equal(TimeSpan.FromSeconds(2), BackendCredentials.RefreshMargin(Lasting(8), 60));
        Assert.Equal(TimeSpan.FromSeconds(60), BackendCredentials.RefreshMargin(Lasting(3600), 60));
        Assert.Equal(TimeSpan.Zero, BackendCredentials.RefreshMargin(Lasting(-5), 60));
        // Stored before the issue time was recorded: the configured margin.
        Assert.Equal(TimeSpan.FromSeconds(60), BackendCredentials.RefreshMargin(new TokenSet { AccessToken = "a", ExpiresAt = issued }, 60));
    }

    [Fact]
    public async Task ARefusedRefresh_LeadsBackToConsent()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite);
        var (token, browser) = await bed.SignInAsync("dave");
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");
        Assert.Equal(HttpStatusCode.OK, (await CredentialsBed.FollowAsync(browser, link)).Status);
        var dave = new UserIdentity(bed.Idp.Issuer, "dave");
        var vault = bed.Vault();
        var tokens = (await vault.GetAsync(dave, "prot"))!;
        await InstanceVaults(bed)[0].SaveAsync(dave, "prot", tokens with { RefreshToken = "not-a-valid-refresh-token", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });

        var again = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__whoami");
        Assert.Contains("/connect?id=", again, StringComparison.Ordinal);
        Assert.Null(await vault.GetAsync(dave, "prot"));
    }

    /// <summary>
    /// Makes the stored token expired, as time would: written through every instance's own vault, whose in-memory copy
    /// (credentials.cache_seconds) would otherwise keep the still-valid token until the window ends.
    /// </summary>
    private static async Task ExpireAsync(CredentialsBed bed, UserIdentity user)
    {
        var tokens = (await bed.Vault().GetAsync(user, "prot"))!;
        foreach (var vault in InstanceVaults(bed))
        {
            await vault.SaveAsync(user, "prot", tokens with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        }
    }

    private static List<TokenVault> InstanceVaults(CredentialsBed bed) => [.. bed.Gateways.Select(g => g.App.Services.GetRequiredService<TokenVault>())];

    private static int Refreshes(CredentialsBed bed) => RefreshRegex().Matches(bed.BackendIdp.Output).Count;

    [GeneratedRegex("^GRANT refresh_token ", RegexOptions.Multiline)]
    private static partial Regex RefreshRegex();
}
