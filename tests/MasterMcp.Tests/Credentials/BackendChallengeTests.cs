using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Credentials;

/// <summary>A backend that refuses the stored token (401 with a WWW-Authenticate challenge) leads the user back to consent.</summary>
[Collection("azurite")]
public sealed class BackendChallengeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task BackendAnswering401_LeadsToTheConsentFlow_NotADeadEnd()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite);
        var (token, _) = await bed.SignInAsync("alice");
        // A token the backend will not accept (revoked at the provider, say), with no refresh token to fall back on.
        await bed.Vault().SaveAsync(new UserIdentity(bed.Idp.Issuer, "alice"), "prot",
            new TokenSet { AccessToken = "revoked-" + Guid.NewGuid().ToString("N"), ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) });
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);

        var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__whoami");

        Assert.StartsWith(bed.A.BaseAddress + "connect?id=", link, StringComparison.Ordinal);
        Assert.Null(await bed.Vault().GetAsync(new UserIdentity(bed.Idp.Issuer, "alice"), "prot"));

        // The audit trail shows the connection removed for alice, and the call refused until she connects again.
        var events = Audit.AuditLog.In(bed.Logs);
        var removed = Assert.Single(events, e => e.Action == "revocation");
        Assert.Equal(("ok", "alice", "prot", "connection"), (removed.Outcome, removed["Subject"], removed["Backend"], removed["PublicName"]));
        var call = Assert.Single(events, e => e.Action == "tools/call");
        // Unlisted until she connects, so the backend is known by the name's prefix but not the original name.
        Assert.Equal(("refused", "prot", "prot__whoami", null, "-32042"), (call.Outcome, call["Backend"], call["PublicName"], call["OriginalName"], call["ErrorCode"]));
    }
}
