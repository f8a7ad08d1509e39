using System.Net;
using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Credentials;

/// <summary>
/// Two instances on the same storage started with different TOKEN_ENC_KEY values (a misconfiguration): what one wrote the
/// other cannot decrypt. The user is asked to connect again instead of meeting a 500, and the log names the key id.
/// </summary>
[Collection("azurite")]
public sealed class TokenKeyMismatchTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ConnectCallback_OnAnInstanceWithAnotherKey_AnswersAPageAndLeavesTheUserToConnectAgain()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, distinctTokenKeys: true);
        var (token, browser) = await bed.SignInAsync("erin");
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");

        // The flow starts on A; the provider's answer reaches B (a balancer without affinity).
        browser.Rewrite = u => u.Port == bed.A.BaseAddress.Port && u.AbsolutePath == "/oauth/callback" ? new UriBuilder(u) { Port = bed.Gateways[1].BaseAddress.Port }.Uri : u;
        var (status, page) = await CredentialsBed.FollowAsync(browser, link);
        Assert.Contains(browser.Visited, u => u.Port == bed.Gateways[1].BaseAddress.Port && u.AbsolutePath == "/oauth/callback");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("different token keys", page, StringComparison.Ordinal);
        Assert.Contains("Call the tool again", page, StringComparison.Ordinal);
        Assert.Contains(bed.Logs.Entries, e => e.StartsWith("Warning ", StringComparison.Ordinal) && e.Contains("connect callback for backend prot", StringComparison.Ordinal)
            && e.Contains("written with key 'k1'", StringComparison.Ordinal));

        // Not connected: the next call asks again.
        Assert.Null(await bed.Vault().GetAsync(new UserIdentity(bed.Idp.Issuer, "erin"), "prot"));
        await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");
        DelegatedFlowTests.AssertNoneIn(bed.Logs.Text, [token, .. bed.TokenKeys], "logs");
    }

    [Fact]
    public async Task StoredToken_ReadOnAnInstanceWithAnotherKey_AsksToConnectAgain_AndTheLogNamesTheKeyId()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, distinctTokenKeys: true);
        var (token, browser) = await bed.SignInAsync("frank");
        await using var onA = await CredentialsBed.ConnectAsync(bed.A, token);
        var (status, _) = await CredentialsBed.FollowAsync(browser, await DelegatedFlowTests.ElicitedLinkAsync(onA, "prot__connect"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("sub=frank", await DelegatedFlowTests.TextAsync(onA, "prot__whoami"), StringComparison.Ordinal);

        // B cannot read what A stored: for B the connection is gone, and its tools ask to connect again.
        await using var onB = await CredentialsBed.ConnectAsync(bed.Gateways[1], token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(onB, "prot__whoami");
        Assert.StartsWith(bed.A.BaseAddress + "connect?id=", link, StringComparison.Ordinal);
        Assert.Contains(bed.Logs.Entries, e => e.StartsWith("Warning ", StringComparison.Ordinal) && e.Contains("Stored token for backend prot cannot be read", StringComparison.Ordinal)
            && e.Contains("written with key 'k1'", StringComparison.Ordinal) && e.Contains("TOKEN_ENC_KEY differs", StringComparison.Ordinal));
        DelegatedFlowTests.AssertNoneIn(bed.Logs.Text, [token, .. bed.TokenKeys], "logs");
    }
}
