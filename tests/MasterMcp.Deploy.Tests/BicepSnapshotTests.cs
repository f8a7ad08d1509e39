using System.Text.Json.Nodes;
using MasterMcp.Deploy.Tests.Infrastructure;

namespace MasterMcp.Deploy.Tests;

/// <summary>
/// The templates evaluated per environment and auth mode (`bicep snapshot`: every expression the deployment can know
/// before it runs is computed), so these tests check the resources and app settings Azure would receive, not the
/// expressions written in the .bicep files.
/// </summary>
public sealed class BicepSnapshotTests
{
    public static TheoryData<string, string> EnvironmentsAndModes() => new()
    {
        { "staging", "jwt" },
        { "staging", "gateway" },
        { "production", "jwt" },
        { "production", "gateway" },
    };

    [Theory]
    [MemberData(nameof(EnvironmentsAndModes))]
    public async Task Redis_IsDeployed_ItsKeyGoesToKeyVault_AndTheAppReadsItAsKvReference(string environment, string mode)
    {
        var snapshot = await SnapshotAsync(environment, mode);

        var redis = snapshot.Single("Microsoft.Cache/redisEnterprise");
        Assert.Equal("1.2", (string?)redis["properties"]!["minimumTlsVersion"]);
        Assert.Equal(environment == "production" ? "Enabled" : "Disabled", (string?)redis["properties"]!["highAvailability"]);
        var database = snapshot.Single("Microsoft.Cache/redisEnterprise/databases");
        Assert.Equal($"{redis["name"]}/default", (string?)database["name"]);
        Assert.Equal("Encrypted", (string?)database["properties"]!["clientProtocol"]);
        // Access keys are the only sign-in the gateway has (Entra needs Microsoft.Azure.StackExchangeRedis).
        Assert.Equal("Enabled", (string?)database["properties"]!["accessKeysAuthentication"]);
        // One endpoint that behaves like a single Redis (pub/sub and keys on one connection).
        Assert.Equal("EnterpriseCluster", (string?)database["properties"]!["clusteringPolicy"]);
        var port = (int)database["properties"]!["port"]!;

        // The secret lives in the vault the app reads (secrets.key_vault_uri) and holds host, port, key and TLS.
        var vault = snapshot.Single("Microsoft.KeyVault/vaults");
        var secret = snapshot.Single("Microsoft.KeyVault/vaults/secrets");
        Assert.Equal($"{vault["name"]}/redis-connection", (string?)secret["name"]);
        var value = (string)secret["properties"]!["value"]!;
        Assert.Contains($"reference('{redis["id"]}', '2025-07-01').hostName", value, StringComparison.Ordinal);
        Assert.Contains($"listKeys('{database["id"]}', '2025-07-01').primaryKey", value, StringComparison.Ordinal);
        Assert.Contains($", {port}, ", value, StringComparison.Ordinal);
        Assert.Contains("ssl=True", value, StringComparison.Ordinal);

        var settings = snapshot.AppSettings();
        Assert.Equal("kv:redis-connection", settings["MASTER_REDIS"]);
        Assert.Contains($"'{vault["id"]}'", settings["MASTER__secrets__key_vault_uri"], StringComparison.Ordinal);
        // Only the gateway resolves kv: references; nothing relies on the platform's @Microsoft.KeyVault(...).
        Assert.DoesNotContain(settings.Values, v => v.Contains("@Microsoft.KeyVault", StringComparison.Ordinal));
        Assert.False(settings.ContainsKey("MASTER__scaleout__redis"), "MASTER_REDIS and MASTER__scaleout__redis set the same key: set one.");
    }

    [Theory]
    [MemberData(nameof(EnvironmentsAndModes))]
    public async Task FunctionApp_RunsProductionSettings_ForTheChosenAuthMode(string environment, string mode)
    {
        var snapshot = await SnapshotAsync(environment, mode);
        var settings = snapshot.AppSettings();

        Assert.Equal("Production", settings["MASTER_ENV"]);
        Assert.Equal(mode, settings["MASTER__auth__mode"]);
        Assert.Equal("kv:token-enc-key", settings["TOKEN_ENC_KEY"]);
        Assert.Equal("kv:origin-secret", settings["MASTER__security__origin_secret"]);
        Assert.Equal($"https://{snapshot.Single("Microsoft.Web/sites")["name"]}.azurewebsites.net", settings["MASTER_BASE_URL"]);
        // Set but never read by the gateway, so not set at all.
        Assert.False(settings.ContainsKey("MASTER_DEPLOYMENT"));

        var jwt = new Dictionary<string, string>
        {
            ["MASTER__auth__jwt__issuer"] = "https://login.example.com/tenant/v2.0",
            ["MASTER__auth__jwt__audience"] = "",
            ["MASTER__auth__browser_login__client_id"] = "",
            ["MASTER__auth__browser_login__client_secret"] = "",
        };
        var gateway = new Dictionary<string, string>
        {
            ["MASTER__auth__upstream__preset"] = "oidc",
            ["MASTER__auth__upstream__issuer"] = "https://idp.example.com",
            ["MASTER__auth__upstream__client_id"] = "master-mcp",
            ["MASTER__auth__upstream__client_secret"] = "kv:upstream-client-secret",
            ["MASTER__auth__signing_key"] = "kv:auth-signing-key",
        };
        var (chosen, other) = mode == "jwt" ? (jwt, gateway) : (gateway, jwt);
        foreach (var (name, expected) in chosen)
        {
            Assert.True(settings.TryGetValue(name, out var actual), $"{name} is missing");
            Assert.Equal(expected, actual);
        }
        // The other mode's settings are empty (the gateway ignores empty MASTER__ variables): no kv: reference to a
        // secret this mode does not need.
        foreach (var name in other.Keys)
        {
            Assert.True(settings.TryGetValue(name, out var actual), $"{name} is missing");
            Assert.Equal("", actual);
        }
    }

    [Fact]
    public async Task BaseUrl_FromTheEnvironment_BecomesMasterBaseUrl()
    {
        var snapshot = await SnapshotAsync("production", "jwt", new() { ["AZURE_BASE_URL"] = "https://mcp.example.com" });
        Assert.Equal("https://mcp.example.com", snapshot.AppSettings()["MASTER_BASE_URL"]);
    }

    [Theory]
    [InlineData("jwt", "browser-app", "kv:browser-login-client-secret")]
    [InlineData("gateway", "", "")]
    public async Task BrowserLogin_IsSetOnlyInJwtMode_WithItsSecretAsKvReference(string mode, string clientId, string secret)
    {
        var snapshot = await SnapshotAsync("staging", mode, new() { ["AUTH_BROWSER_LOGIN_CLIENT_ID"] = "browser-app" });
        var settings = snapshot.AppSettings();
        Assert.Equal(clientId, settings["MASTER__auth__browser_login__client_id"]);
        Assert.Equal(secret, settings["MASTER__auth__browser_login__client_secret"]);
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("production")]
    public async Task Storage_HasNoTables_TheGatewayCreatesItsOwn(string environment)
    {
        var snapshot = await SnapshotAsync(environment, "jwt");
        // The gateway names its tables after storage.table_prefix and creates them (Storage Table Data Contributor);
        // tables created here would be unused.
        Assert.DoesNotContain(snapshot.Resources, r => ((string?)r["type"])!.StartsWith("Microsoft.Storage/storageAccounts/tableServices", StringComparison.Ordinal));
        Assert.Single(snapshot.Resources, r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers");
    }

    [Fact]
    public async Task Production_ScalesOut_WithRedis_OnFlexConsumption()
    {
        var snapshot = await SnapshotAsync("production", "jwt");
        var plan = snapshot.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        var scale = snapshot.Single("Microsoft.Web/sites")["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;
        Assert.True((int)scale["maximumInstanceCount"]! > 1);
        // Flex adds instances by itself: several instances without Redis would break interactive MCP.
        Assert.Equal("kv:redis-connection", snapshot.AppSettings()["MASTER_REDIS"]);
        Assert.Equal("Balanced_B1", (string?)snapshot.Single("Microsoft.Cache/redisEnterprise")["sku"]!["name"]);
    }

    private static Task<BicepSnapshot> SnapshotAsync(string environment, string mode, Dictionary<string, string?>? extra = null) =>
        BicepSnapshot.OfAsync(environment, mode, extra);
}
