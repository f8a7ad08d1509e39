using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Admin;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// An admin's revoke on one instance reaches another that holds the user's token in memory (credentials.cache_seconds):
/// the revocation record drops that copy when the other instance applies it, long before the copy would expire.
/// </summary>
[Collection("azurite")]
public sealed class AdminRevokeAcrossInstancesTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task RevokeOnA_InstanceBStopsUsingItsInMemoryCopy_WithinTheRefreshDelay_NotTheCacheWindow()
    {
        // The copy would live 60 s; the admin table is re-read every second: only applying the revocation explains B
        // asking bob to connect again within the wait's patience.
        await using var bed = await CredentialsBed.StartAsync(azurite, instances: 2, configure: config =>
        {
            config["credentials"] = new JsonObject { ["cache_seconds"] = 60 };
            config["admin"] = new JsonObject { ["subjects"] = new JsonArray("admin-user"), ["refresh_seconds"] = 1 };
        });
        await using var connected = await bed.ConnectOnTwoInstancesAsync("bob");
        var onB = connected.OnB;

        var operations = bed.A.App.Services.GetRequiredService<AdminOperations>();
        var revoked = await operations.RevokeAsync(new AdminCaller("admin-user", null, null, AdminVia.Bearer), "bob", null, "prot", CancellationToken.None);
        Assert.True(revoked["revoked"]!.GetValue<bool>());

        // A call in flight while B ends bob's backend session for the revocation may fail; the next one is asked to connect.
        await DelegatedFlowTests.UntilAskedToConnectAsync(onB, "prot__whoami", "sub=bob", "B asks bob to connect again once it applied the admin's revocation", cutCallsAllowed: true);
    }
}
