using System.Collections.Concurrent;
using System.Net;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Secrets;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>
/// Secret references (env:, file:, kv:) in the configuration are resolved once at startup; an unresolvable one, or an
/// App Service Key Vault reference nobody resolved, stops startup with a message that names the setting, never a value.
/// </summary>
public sealed class SecretStartupTests(KeyVaultStandIn vault) : IClassFixture<KeyVaultStandIn>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Records what was resolved, delegating to the real resolver.</summary>
    private sealed class RecordingResolver(ISecretResolver inner) : ISecretResolver
    {
        public ConcurrentDictionary<string, string> Resolved { get; } = new(StringComparer.Ordinal);

        public bool IsReference(string? value) => inner.IsReference(value);

        public async ValueTask<string> ResolveAsync(string value, string settingPath, CancellationToken cancellationToken = default)
        {
            var resolved = await inner.ResolveAsync(value, settingPath, cancellationToken);
            Resolved[settingPath] = resolved;
            return resolved;
        }
    }

    private string ConfigWith(string server0Authorization, string originSecret, string server1ApiKey) => _dir.Write("gateway.json", $$"""
        {
          "secrets": { "key_vault_uri": "{{vault.VaultUri}}" },
          "security": { "origin_secret": "{{originSecret}}" },
          "servers": [
            { "id": "docs", "url": "https://docs.example/mcp", "headers": { "Authorization": "{{server0Authorization}}" } },
            { "id": "crm", "url": "https://crm.example/mcp", "headers": { "X-Api-Key": "{{server1ApiKey}}" } }
          ]
        }
        """);

    [Fact]
    public async Task EnvFileAndKvReferences_ResolveAtStartup()
    {
        var secretName = "crm-key-" + Guid.NewGuid().ToString("N")[..8];
        vault.SetSecret(secretName, "kv-crm-value");
        var secretFile = _dir.Write("origin-secret.txt", "file-origin-value\n");
        var config = ConfigWith("env:GW_DOCS_TOKEN", "file:" + secretFile, "kv:" + secretName);
        var env = new Dictionary<string, string> { ["GW_DOCS_TOKEN"] = "Bearer env-docs-value", ["MASTER_ENV"] = "Development" };
        var inputs = new ConfigInputs(["--config", config, "--hosting.host=127.0.0.1"], env, RepoPaths.Root);
        RecordingResolver? recorder = null;

        var startup = await GatewayStartup.PrepareAsync(inputs, options =>
            recorder = new RecordingResolver(new SecretResolver(
                GatewayServiceCollectionExtensions.SecretOptionsFrom(options),
                secretClientFactory: vault.CreateSecretClient,
                getEnvironmentVariable: inputs.Env)));

        Assert.NotNull(recorder);
        Assert.Equal("Bearer env-docs-value", recorder.Resolved["servers[0].headers.Authorization"]);
        Assert.Equal("file-origin-value", recorder.Resolved["security.origin_secret"]);
        Assert.Equal("kv-crm-value", recorder.Resolved["servers[1].headers.X-Api-Key"]);
        Assert.Equal(1, vault.ReadCount(secretName));
        // The configuration keeps the references; values are only ever held by the resolver.
        Assert.Equal("kv:" + secretName, startup.Config.Options.Servers[1].Headers!["X-Api-Key"]);
    }

    [Fact]
    public async Task MissingEnvSecret_StopsStartup_NamingTheSettingAndVariable()
    {
        var config = _dir.Write("gateway.json", """
            { "servers": [ { "id": "docs", "url": "https://docs.example/mcp", "headers": { "Authorization": "env:NOPE" } } ] }
            """);
        var inputs = new ConfigInputs(["--config", config, "--hosting.host=127.0.0.1"], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" }, RepoPaths.Root);

        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayStartup.PrepareAsync(inputs, o =>
            new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o), getEnvironmentVariable: inputs.Env)));

        var error = Assert.Single(ex.Errors);
        Assert.Contains("servers[0].headers.Authorization", error, StringComparison.Ordinal);
        Assert.Contains("'NOPE' is not set", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingKvSecret_StopsStartup_NamingTheSettingAndSecret()
    {
        var config = ConfigWith("plain-value", "plain-secret", "kv:not-there");
        var inputs = new ConfigInputs(["--config", config, "--hosting.host=127.0.0.1"], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" }, RepoPaths.Root);

        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayStartup.PrepareAsync(inputs, o =>
            new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o), secretClientFactory: vault.CreateSecretClient)));

        var error = Assert.Single(ex.Errors);
        Assert.Contains("servers[1].headers.X-Api-Key", error, StringComparison.Ordinal);
        Assert.Contains("'not-there' not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnresolvedAppServiceReferenceInVariable_StopsStartup_NamingTheVariable()
    {
        const string reference = "@Microsoft.KeyVault(SecretUri=https://my-vault.vault.azure.net/secrets/origin/)";
        var inputs = new ConfigInputs([], new Dictionary<string, string> { ["MASTER__security__origin_secret"] = reference, ["MASTER_ENV"] = "Development" }, RepoPaths.Root);

        var ex = await Assert.ThrowsAsync<ConfigurationException>(() => GatewayStartup.PrepareAsync(inputs, o =>
            new SecretResolver(GatewayServiceCollectionExtensions.SecretOptionsFrom(o), getEnvironmentVariable: inputs.Env)));

        var error = Assert.Single(ex.Errors);
        Assert.Contains("MASTER__security__origin_secret", error, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault", error, StringComparison.Ordinal);
        Assert.Contains("kv:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_MissingEnvSecret_ExitsWith2_AndNamesTheSetting()
    {
        var config = _dir.Write("gateway.json", """
            { "servers": [ { "id": "docs", "url": "https://docs.example/mcp", "headers": { "Authorization": "env:NOPE" } } ] }
            """);

        await using var gateway = await GatewayProcess.RunToExitAsync(["--config", config, "--hosting.host=127.0.0.1", "--hosting.port=0"],
            new Dictionary<string, string?> { ["NOPE"] = null, ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        Assert.True(gateway.ExitCode == 2, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
        Assert.Contains("servers[0].headers.Authorization", gateway.Stderr, StringComparison.Ordinal);
        Assert.Contains("'NOPE' is not set", gateway.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", gateway.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_UnresolvedAppServiceReference_ExitsWith2_AndNamesTheVariable()
    {
        await using var gateway = await GatewayProcess.RunToExitAsync(["--hosting.host=127.0.0.1", "--hosting.port=0"],
            new Dictionary<string, string?>
            {
                ["MASTER__security__origin_secret"] = "@Microsoft.KeyVault(VaultName=my-vault;SecretName=origin)",
                ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            });

        Assert.True(gateway.ExitCode == 2, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
        Assert.Contains("MASTER__security__origin_secret", gateway.Stderr, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault", gateway.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileOriginSecret_IsEnforcedWithTheResolvedValue()
    {
        var secretFile = _dir.Write("origin-secret.txt", "from-a-file\n");
        await using var gateway = await InProcessGateway.StartAsync(["--security.origin_secret=file:" + secretFile]);

        using var without = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/ready", UriKind.Relative));
        request.Headers.Add("X-Origin-Secret", "from-a-file");
        using var with = await gateway.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }
}
