using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Policies;

/// <summary>policies, policy_default, virtual_servers and required_scopes: accepted when sound, refused with the path and the problem otherwise.</summary>
public sealed class AccessConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<string> Errors(string json)
    {
        var file = _dir.Write("gateway.json", json);
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)));
        return [.. ex.Errors.Select(e => e[(file.Length + 2)..])];
    }

    [Fact]
    public void SoundAccessConfiguration_LoadsWithDefaults()
    {
        var file = _dir.Write("gateway.json", """
            {
              "policies": [ { "effect": "deny", "tools": ["*__delete_*"] } ],
              "virtual_servers": [ { "name": "dev", "include": ["*"] } ]
            }
            """);

        var options = ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)).Options;

        Assert.Equal("allow", options.PolicyDefault);
        Assert.Equal("deny", Assert.Single(options.Policies).Effect);
        var server = Assert.Single(options.VirtualServers);
        Assert.Equal(ToolExposure.All, server.ToolExposure);
        Assert.Empty(server.Exclude);
    }

    [Theory]
    [InlineData("""{ "policies": [ { "effect": "deny" } ] }""", "policies[0]: a policy must name what it denies")]
    [InlineData("""{ "policies": [ { "match": { "subjects": ["alice"] }, "tools": ["*"] } ] }""", "policies[0].match: matches users, but auth.mode is 'none'")]
    [InlineData("""{ "policies": [ { "effect": "maybe", "tools": ["*"] } ] }""", "policies[0].effect: ")]
    [InlineData("""{ "policy_default": "block" }""", "policy_default: ")]
    [InlineData("""{ "virtual_servers": [ { "name": "dev", "include": ["*"] }, { "name": "DEV", "include": ["*"] } ] }""", "virtual_servers[1].name: virtual server name 'DEV' is used more than once")]
    [InlineData("""{ "virtual_servers": [ { "name": "dev" } ] }""", "virtual_servers[0].include: virtual server 'dev' includes nothing")]
    [InlineData("""{ "virtual_servers": [ { "name": "a/b", "include": ["*"] } ] }""", "virtual_servers[0].name: ")]
    [InlineData("""{ "virtual_servers": [ { "name": "dev", "include": ["*"], "tool_exposure": "some" } ] }""", "virtual_servers[0].tool_exposure: ")]
    [InlineData("""{ "virtual_servers": [ { "name": "dev", "include": ["*"], "audiences": ["x"] } ] }""", "virtual_servers[0].audiences: only applies in auth.mode 'jwt'")]
    [InlineData("""{ "servers": [ { "id": "a", "url": "https://a.example", "required_scopes": ["admin"] } ] }""", "servers[0].required_scopes: needs auth.mode 'jwt' or 'gateway'")]
    public void UnsoundAccessConfiguration_IsRefused_NamingPathAndProblem(string json, string expected)
    {
        Assert.Contains(Errors(json), e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
