using MasterMcp.Secrets;

namespace MasterMcp.Tests.Secrets;

public sealed class SecretResolverTests : IDisposable
{
    private const string Path = "servers[0].headers.Authorization";

    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);
    private readonly string _directory = Directory.CreateTempSubdirectory("mastermcp-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SecretResolver CreateResolver(SecretOptions? options = null) =>
        new(options ?? new SecretOptions(), getEnvironmentVariable: name => _environment.GetValueOrDefault(name));

    [Fact]
    public async Task Env_ReturnsVariableValue()
    {
        _environment["GITHUB_TOKEN"] = "ghp_env_value";

        Assert.Equal("ghp_env_value", await CreateResolver().ResolveAsync("env:GITHUB_TOKEN", Path));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Env_MissingOrEmpty_ThrowsNamingSettingAndVariable(string? value)
    {
        _environment["GITHUB_TOKEN"] = value;

        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => CreateResolver().ResolveAsync("env:GITHUB_TOKEN", Path).AsTask());

        Assert.Equal(
            "secret for 'servers[0].headers.Authorization' could not be resolved: environment variable 'GITHUB_TOKEN' is not set",
            ex.Message);
        Assert.Equal(Path, ex.SettingPath);
    }

    [Fact]
    public async Task File_ReturnsContentWithOneTrailingNewlineTrimmed()
    {
        var file = System.IO.Path.Combine(_directory, "token");
        await File.WriteAllTextAsync(file, "line-one\nfile-secret\n\n");

        Assert.Equal("line-one\nfile-secret\n", await CreateResolver().ResolveAsync($"file:{file}", Path));
    }

    [Theory]
    [InlineData("file-secret", "file-secret")]
    [InlineData("file-secret\n", "file-secret")]
    [InlineData("file-secret\r\n", "file-secret")]
    public async Task File_TrimsOnlyTheTrailingLineBreak(string content, string expected)
    {
        var file = System.IO.Path.Combine(_directory, "token");
        await File.WriteAllTextAsync(file, content);

        Assert.Equal(expected, await CreateResolver().ResolveAsync($"file:{file}", Path));
    }

    [Fact]
    public async Task File_Missing_ThrowsNamingPath()
    {
        var file = System.IO.Path.Combine(_directory, "absent", "token");

        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => CreateResolver().ResolveAsync($"file:{file}", Path).AsTask());

        Assert.Equal($"secret for '{Path}' could not be resolved: file '{file}' does not exist", ex.Message);
    }

    [Theory]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://my-vault.vault.azure.net/secrets/github-token/)", "github-token")]
    [InlineData("@Microsoft.KeyVault(VaultName=my-vault;SecretName=github-token)", "github-token")]
    [InlineData("@Microsoft.KeyVault(garbled", null)]
    public async Task AppServiceKeyVaultReference_ThrowsWithContainerGuidance(string value, string? name)
    {
        var resolver = CreateResolver();

        Assert.True(resolver.IsReference(value));
        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync(value, Path).AsTask());

        Assert.StartsWith(
            $"setting '{Path}' still holds an unresolved Key Vault reference (@Microsoft.KeyVault(...)): "
            + "the platform resolves these only in Azure App Service/Functions; in a container use 'kv:<name>' instead",
            ex.Message);
        if (name is not null)
        {
            Assert.EndsWith($"(here: 'kv:{name}')", ex.Message);
        }
    }

    [Fact]
    public async Task KeyVault_WithoutVaultUri_ThrowsAskingForSetting()
    {
        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => CreateResolver().ResolveAsync("kv:github-token", Path).AsTask());

        Assert.Contains("'github-token'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set secrets.key_vault_uri", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kv:")]
    [InlineData("kv:../keys/x")]
    [InlineData("kv:name/")]
    [InlineData("kv:under_score")]
    public async Task KeyVault_MalformedReference_Throws(string value)
    {
        var resolver = CreateResolver(new SecretOptions { KeyVaultUri = "https://127.0.0.1:1/" });

        var ex = await Assert.ThrowsAsync<SecretResolutionException>(() => resolver.ResolveAsync(value, Path).AsTask());

        Assert.Contains("is not a Key Vault reference", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain-value")]
    [InlineData("https://example.invalid/path")]
    [InlineData("")]
    [InlineData("ENV:NOT_A_PREFIX")]
    public async Task PlainValue_IsReturnedUnchanged(string value)
    {
        var resolver = CreateResolver();

        Assert.False(resolver.IsReference(value));
        Assert.Equal(value, await resolver.ResolveAsync(value, Path));
    }

    [Theory]
    [InlineData("env:X")]
    [InlineData("file:/run/secrets/x")]
    [InlineData("kv:x")]
    public void IsReference_RecognisesPrefixes(string value) => Assert.True(CreateResolver().IsReference(value));

    [Fact]
    public void IsReference_Null_IsFalse() => Assert.False(CreateResolver().IsReference(null));
}
