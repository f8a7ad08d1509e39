using Azure.Security.KeyVault.Secrets;
using MasterMcp.Secrets;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace MasterMcp.Tests.Secrets;

public sealed class KeyVaultSecretResolverTests(KeyVaultStandIn vault) : IClassFixture<KeyVaultStandIn>
{
    private const string Path = "servers[0].headers.Authorization";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    // Only a guard so a broken build fails instead of hanging; nothing is timed.
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _time = new();

    private SecretResolver CreateResolver() =>
        new(new SecretOptions { KeyVaultUri = vault.VaultUri.ToString(), CacheTtl = Ttl }, _time, vault.CreateSecretClient);

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task KeyVault_ReturnsSecretValue_ThroughChallengeFlow()
    {
        var name = UniqueName("github-token");
        vault.SetSecret(name, "kv-value-1");

        var value = await CreateResolver().ResolveAsync($"kv:{name}", Path);

        Assert.Equal("kv-value-1", value);
        Assert.Equal(1, vault.ReadCount(name));
        Assert.True(vault.Challenges >= 1);
    }

    [Fact]
    public async Task KeyVault_SecondResolveWithinTtl_IsServedFromCache()
    {
        var name = UniqueName("cached");
        vault.SetSecret(name, "kv-cached-value");
        var resolver = CreateResolver();

        await resolver.ResolveAsync($"kv:{name}", Path);
        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        var second = await resolver.ResolveAsync($"kv:{name}", "another.setting");

        Assert.Equal("kv-cached-value", second);
        Assert.Equal(1, vault.ReadCount(name));
    }

    [Fact]
    public async Task KeyVault_AfterTtl_PicksUpRotatedValue()
    {
        var name = UniqueName("rotated");
        var client = vault.CreateSecretClient();
        await client.SetSecretAsync(name, "kv-before-rotation");
        var resolver = CreateResolver();

        Assert.Equal("kv-before-rotation", await resolver.ResolveAsync($"kv:{name}", Path));
        var rotated = await client.SetSecretAsync(name, "kv-after-rotation");

        Assert.Equal("kv-before-rotation", await resolver.ResolveAsync($"kv:{name}", Path));
        _time.Advance(Ttl);
        Assert.Equal("kv-after-rotation", await resolver.ResolveAsync($"kv:{name}", Path));
        Assert.Equal(2, vault.ReadCount(name));
        Assert.NotNull(rotated.Value.Properties.Version);
    }

    [Fact]
    public async Task KeyVault_SpecificVersion_IsReturned()
    {
        var name = UniqueName("versioned");
        var first = vault.SetSecret(name, "kv-version-one");
        vault.SetSecret(name, "kv-version-two");

        Assert.Equal("kv-version-one", await CreateResolver().ResolveAsync($"kv:{name}/{first}", Path));
    }

    [Fact]
    public async Task KeyVault_ConcurrentResolves_ShareOneFetch()
    {
        var name = UniqueName("concurrent");
        vault.SetSecret(name, "kv-concurrent-value");
        var resolver = CreateResolver();

        var values = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => resolver.ResolveAsync($"kv:{name}", $"servers[{i}].env.TOKEN").AsTask()));

        Assert.All(values, v => Assert.Equal("kv-concurrent-value", v));
        Assert.Equal(1, vault.ReadCount(name));
    }

    [Fact]
    public async Task KeyVault_CallerCancellation_DoesNotCancelSharedFetch()
    {
        var name = UniqueName("cancelled");
        vault.SetSecret(name, "kv-cancel-value");
        var resolver = CreateResolver();
        using var hold = vault.HoldReads(name);
        using var cancelA = new CancellationTokenSource();

        // A starts the fetch; once it is held open at the vault, B joins it and then A gives up.
        var a = resolver.ResolveAsync($"kv:{name}", Path, cancelA.Token).AsTask();
        await hold.Arrived.WaitAsync(TestTimeout);
        var b = resolver.ResolveAsync($"kv:{name}", "servers[1].env.TOKEN", CancellationToken.None).AsTask();
        await cancelA.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);

        hold.Release();
        Assert.Equal("kv-cancel-value", await b.WaitAsync(TestTimeout));
        Assert.Equal(1, vault.ReadCount(name));
    }

    [Fact]
    public async Task KeyVault_MissingSecret_ThrowsNamingSecretAndVault()
    {
        var name = UniqueName("absent");

        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => CreateResolver().ResolveAsync($"kv:{name}", Path).AsTask());

        Assert.Equal($"secret for '{Path}' could not be resolved: Key Vault secret '{name}' not found in {vault.VaultUri}", ex.Message);
    }

    [Fact]
    public async Task KeyVault_FailureIsNotCached_SecretCreatedLaterIsFound()
    {
        var name = UniqueName("late");
        var resolver = CreateResolver();
        await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync($"kv:{name}", Path).AsTask());

        vault.SetSecret(name, "kv-late-value");

        Assert.Equal("kv-late-value", await resolver.ResolveAsync($"kv:{name}", Path));
    }

    [Fact]
    public async Task FailureMessages_NeverContainSecretValues()
    {
        const string value = "kv-must-never-leak";
        var name = UniqueName("leak");
        vault.SetSecret(name, value);
        var resolver = CreateResolver();
        var noVault = new SecretResolver(new SecretOptions(), getEnvironmentVariable: _ => value);

        SecretResolutionException[] failures =
        [
            await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync($"kv:{name}/{new string('0', 32)}", Path).AsTask()),
            await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync($"kv:{name}-other", Path).AsTask()),
            await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync($"kv:{name}/not-hex!", Path).AsTask()),
            await Assert.ThrowsAsync<SecretResolutionException>(() => noVault.ResolveAsync($"kv:{name}", Path).AsTask()),
            await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync("file:/nonexistent/secret", Path).AsTask()),
            await Assert.ThrowsAsync<SecretResolutionException>(
                () => resolver.ResolveAsync($"@Microsoft.KeyVault(SecretUri={vault.VaultUri}secrets/{name}/)", Path).AsTask()),
        ];

        Assert.All(failures, ex =>
        {
            Assert.Equal(Path, ex.SettingPath);
            Assert.DoesNotContain(value, ex.ToString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task AddSecretResolution_RegistersResolverUsingGivenClientFactory()
    {
        var name = UniqueName("di");
        vault.SetSecret(name, "kv-di-value");
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddSecretResolution(new SecretOptions { KeyVaultUri = vault.VaultUri.ToString() }, vault.CreateSecretClient);
        await using var provider = services.BuildServiceProvider();

        var resolver = provider.GetRequiredService<ISecretResolver>();

        Assert.Equal("kv-di-value", await resolver.ResolveAsync($"kv:{name}", Path));
        Assert.Same(resolver, provider.GetRequiredService<ISecretResolver>());
    }

    [Fact]
    public async Task StandIn_RejectsRequestsWithoutToken_WithKeyVaultChallenge()
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.RawData.AsSpan().SequenceEqual(vault.Certificate.RawData),
        };
        using var http = new HttpClient(handler);

        using var response = await http.GetAsync(new Uri(vault.VaultUri, "/secrets/anything?api-version=7.6"));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("resource=\"https://vault.azure.net\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("authorization=\"https://login.microsoftonline.com/", challenge.Parameter, StringComparison.Ordinal);
    }
}
