using System.Security.Cryptography;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Credentials;

public sealed class TokenKeyRingTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void SingleKey_IsCurrent_AndRingsUseTheirLastEntry()
    {
        Assert.Equal("k1", TokenKeyRing.Parse(Key).CurrentKeyId);
        var ring = TokenKeyRing.Parse($"old:{Key},new:{TokenKeyRing.NewKey()}");
        Assert.Equal("new", ring.CurrentKeyId);
        Assert.Equal(["old", "new"], ring.KeyIds);
    }

    [Theory]
    [InlineData("k1:not-base64!!")]
    [InlineData("k1:AAAA")]
    [InlineData("")]
    public void BadKeys_AreRefused_WithoutEchoingKeyMaterial(string value)
    {
        var ex = Assert.ThrowsAny<FormatException>(() => TokenKeyRing.Parse(value));
        Assert.Contains("TOKEN_ENC_KEY", ex.Message, StringComparison.Ordinal);
        if (value.Length > 3)
        {
            Assert.DoesNotContain(value[3..], ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ProtectedValues_CarryTheirKeyId_AndOnlyDecryptWithTheirAssociatedData()
    {
        var protector = new TokenProtector(TokenKeyRing.Parse("a:" + Key));
        var value = protector.Protect("secret-token", "user|backend");
        Assert.StartsWith("a.", value, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", value, StringComparison.Ordinal);
        Assert.Equal("secret-token", protector.Unprotect(value, "user|backend"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(value, "other|backend"));
    }

    [Fact]
    public async Task Production_WithoutTokenEncKey_RefusesToStart_Development_UsesAnEphemeralKey()
    {
        ConfigInputs Inputs(string env, string? key = null)
        {
            var vars = new Dictionary<string, string> { ["MASTER_ENV"] = env, ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" };
            if (key is not null)
            {
                vars["TOKEN_ENC_KEY"] = key;
            }
            return new ConfigInputs([], vars, RepoPaths.Root);
        }
        static SecretResolver Resolver(GatewayOptions o) => new(GatewayServiceCollectionExtensions.SecretOptionsFrom(o));

        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayStartup.PrepareAsync(Inputs("Production"), Resolver));
        Assert.Contains(refused.Errors, e => e.Contains("TOKEN_ENC_KEY", StringComparison.Ordinal) && e.Contains("required", StringComparison.Ordinal));

        var development = await GatewayStartup.PrepareAsync(Inputs("Development"), Resolver);
        Assert.True(development.TokenKeys.IsEphemeral);

        var bad = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayStartup.PrepareAsync(Inputs("Development", "k1:AAAA"), Resolver));
        Assert.Contains(bad.Errors, e => e.Contains("32 bytes", StringComparison.Ordinal));
    }
}
