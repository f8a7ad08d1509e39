using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Tests.Conformance;

namespace MasterMcp.Tests.Auth;

/// <summary>Which environments may run which auth modes, and what each mode needs.</summary>
public sealed class AuthConfigurationTests
{
    [Fact]
    public async Task Production_WithoutAuth_RefusesToStart()
    {
        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => StartAsync(new JsonObject(), "Production"));
        Assert.Contains("auth.mode", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithModeNone_RefusesToStart()
    {
        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => StartAsync(new JsonObject { ["auth"] = new JsonObject { ["mode"] = "none" } }, "Production"));
        Assert.Contains("only allowed in Development", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_WithoutAuth_IsAllowedOnLoopbackOnly()
    {
        Assert.Equal("none", AuthOptionsValidator.EffectiveMode((await StartAsync(new JsonObject(), "Development")).Config.Options));
        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => StartAsync(new JsonObject(), "Development", host: "0.0.0.0"));
        Assert.Contains("loopback", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GatewayMode_ListsEveryMissingSetting()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(new JsonObject { ["auth"] = new JsonObject { ["mode"] = "gateway" } }, "Production"));
        foreach (var path in new[] { "hosting.base_url", "auth.signing_key", "auth.upstream.client_id", "auth.upstream.client_secret", "auth.upstream.issuer" })
        {
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void JwtMode_InProduction_NeedsHttpsAndRejectsTheDevelopmentAllowList()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(new JsonObject
        {
            ["hosting"] = new JsonObject { ["base_url"] = "http://gateway.example" },
            ["auth"] = new JsonObject
            {
                ["mode"] = "jwt",
                ["jwt"] = new JsonObject { ["issuer"] = "http://idp.example" },
                ["client_metadata_documents"] = new JsonObject { ["development_allowed_origins"] = new JsonArray("https://localhost:1") },
            },
        }, "Production"));
        Assert.Contains("hosting.base_url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("auth.jwt.issuer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("development_allowed_origins", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownAuthKey_IsASchemaError()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(new JsonObject { ["auth"] = new JsonObject { ["mode"] = "jwt", ["isuer"] = "x" } }, "Development"));
        Assert.Contains("auth", ex.Message, StringComparison.Ordinal);
    }

    private static Task<GatewayStartup> StartAsync(JsonObject config, string environment, string host = "127.0.0.1")
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("auth-config-").FullName, "gateway.json");
        File.WriteAllText(path, config.ToJsonString());
        var env = new Dictionary<string, string> { ["MASTER_ENV"] = environment, ["TOKEN_ENC_KEY"] = TokenKeyRing.NewKey() };
        var inputs = new ConfigInputs(["--config", path, "--hosting.host=" + host], env, RepoPaths.Root);
        return GatewayStartup.PrepareAsync(inputs, o => new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o)));
    }

    private static LoadedConfiguration Load(JsonObject config, string environment, string host = "127.0.0.1")
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("auth-config-").FullName, "gateway.json");
        File.WriteAllText(path, config.ToJsonString());
        var env = new Dictionary<string, string> { ["MASTER_ENV"] = environment };
        return ConfigurationLoader.Load(new ConfigInputs(["--config", path, "--hosting.host=" + host], env, RepoPaths.Root));
    }
}
