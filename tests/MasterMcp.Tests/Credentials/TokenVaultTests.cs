using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using MasterMcp.Credentials;
using MasterMcp.Functions;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;

namespace MasterMcp.Tests.Credentials;

/// <summary>The token vault against Azurite: nothing readable at rest, rotation without loss, cleanup of expired rows only.</summary>
[Collection("azurite")]
public sealed class TokenVaultTests(AzuriteFixture azurite)
{
    private static readonly string Key1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string Key2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly UserIdentity Alice = new("https://idp.example.com/", "alice");
    private static readonly UserIdentity Bob = new("https://idp.example.com/", "bob");

    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..12];

    private TableStoreFactory Stores() => new(new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = _prefix });

    private TokenVault Vault(string ring) => new(Stores(), new TokenProtector(TokenKeyRing.Parse(ring)), TimeProvider.System, NullLogger<TokenVault>.Instance);

    private static TokenSet Tokens(string who) => new()
    {
        AccessToken = "at-" + who + "-" + Guid.NewGuid().ToString("N"),
        RefreshToken = "rt-" + who + "-" + Guid.NewGuid().ToString("N"),
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
        Scope = "repo",
    };

    [Fact]
    public async Task RawRows_HoldNoTokenInPlainText_Base64OrUrlEncoded_NorTheUserOrBackendIds()
    {
        var vault = Vault("k1:" + Key1);
        var tokens = Tokens("alice");
        await vault.SaveAsync(Alice, "github", tokens);
        Assert.Equal(tokens, await vault.GetAsync(Alice, "github"));

        var raw = await RawRowsAsync();
        var row = Assert.Single(raw);
        foreach (var secret in new[] { tokens.AccessToken, tokens.RefreshToken! })
        {
            foreach (var form in new[] { secret, Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), Uri.EscapeDataString(secret) })
            {
                Assert.DoesNotContain(form, row, StringComparison.Ordinal);
            }
        }
        Assert.DoesNotContain("alice", row, StringComparison.Ordinal);
        Assert.DoesNotContain("idp.example.com", row.Replace("\"AssociatedData\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValueMovedToAnotherUsersRow_DoesNotDecrypt()
    {
        var stores = Stores();
        var vault = new TokenVault(stores, new TokenProtector(TokenKeyRing.Parse(Key1)), TimeProvider.System, NullLogger<TokenVault>.Instance);
        await vault.SaveAsync(Alice, "github", Tokens("alice"));
        await vault.SaveAsync(Bob, "github", Tokens("bob"));

        // Copy Alice's protected value into Bob's row, keeping Bob's associated data.
        var table = stores.GetTable(TokenVault.TableName);
        var rows = new List<StoredEntity<StoredTokenRow>>();
        await foreach (var r in table.QueryAllAsync(Json.StoredTokenRow))
        {
            rows.Add(r);
        }
        var alice = rows.Single(r => r.PartitionKey == Alice.StorageKey);
        var bob = rows.Single(r => r.PartitionKey == Bob.StorageKey);
        await table.UpdateAsync(bob.PartitionKey, bob.RowKey, bob.Value with { Protected = alice.Value.Protected }, bob.ETag, Json.StoredTokenRow);

        Assert.Null(await vault.GetAsync(Bob, "github"));
        Assert.NotNull(await vault.GetAsync(Alice, "github"));
    }

    [Fact]
    public async Task Rotation_ReadsWithAddedKey_ReencryptsEveryRow_AndLosesNothingWhenTheOldKeyIsRemoved()
    {
        var written = new Dictionary<(UserIdentity, string), TokenSet>();
        var v1 = Vault("k1:" + Key1);
        foreach (var user in new[] { Alice, Bob })
        {
            foreach (var backend in new[] { "github", "google" })
            {
                var t = Tokens(user.Subject + backend);
                written[(user, backend)] = t;
                await v1.SaveAsync(user, backend, t);
            }
        }

        // Key 2 added (and current): everything written under key 1 still reads.
        var both = Vault("k1:" + Key1 + ",k2:" + Key2);
        foreach (var ((user, backend), t) in written)
        {
            Assert.Equal(t, await both.GetAsync(user, backend));
        }

        // The rotate command re-encrypts every row under key 2, and a second run has nothing left to do.
        Assert.Equal(4, await both.RotateAsync());
        Assert.Equal(0, await both.RotateAsync());
        Assert.All(await RawRowsAsync(), row => Assert.Contains("\"k2.", row, StringComparison.Ordinal));

        // Key 1 removed: nothing lost.
        var only2 = Vault("k2:" + Key2);
        foreach (var ((user, backend), t) in written)
        {
            Assert.Equal(t, await only2.GetAsync(user, backend));
        }
    }

    [Fact]
    public async Task CleanupTrigger_DeletesExpiredRows_AndOnlyThose()
    {
        var vault = Vault(Key1);
        // No refresh token and an access token already expired: useless, to be removed.
        await vault.SaveAsync(Alice, "expired", new TokenSet { AccessToken = "at-old", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-5) });
        await vault.SaveAsync(Bob, "expired", new TokenSet { AccessToken = "at-old2", ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) });
        // Still valid, or refreshable: kept.
        await vault.SaveAsync(Alice, "valid", new TokenSet { AccessToken = "at-new", ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) });
        await vault.SaveAsync(Bob, "refreshable", new TokenSet { AccessToken = "at-x", RefreshToken = "rt-x", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-5) });

        var function = new TimerFunctions(vault, NullLogger<TimerFunctions>.Instance);
        await function.CleanupTokens(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

        Assert.Equal(2, (await RawRowsAsync()).Count);
        Assert.Equal(["valid"], await vault.BackendsOfAsync(Alice));
        Assert.Equal(["refreshable"], await vault.BackendsOfAsync(Bob));
    }

    private async Task<List<string>> RawRowsAsync()
    {
        var client = new TableClient(azurite.ConnectionString, TableStoreFactory.GetTableName(_prefix, TokenVault.TableName));
        var rows = new List<string>();
        await foreach (var entity in client.QueryAsync<TableEntity>())
        {
            rows.Add(string.Join("\n", entity.Select(p => $"\"{p.Key}\"={p.Value}")));
        }
        return rows;
    }

    private static class Json
    {
        public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<StoredTokenRow> StoredTokenRow { get; } =
            (System.Text.Json.Serialization.Metadata.JsonTypeInfo<StoredTokenRow>)System.Text.Json.JsonSerializerOptions.Default.GetTypeInfo(typeof(StoredTokenRow));
    }
}
