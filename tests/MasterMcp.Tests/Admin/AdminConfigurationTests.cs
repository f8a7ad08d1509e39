using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Admin;

/// <summary>admin.subjects, admin.roles and admin.refresh_seconds: accepted when sound, refused with the path and the problem otherwise.</summary>
public sealed class AdminConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SoundAdminConfiguration_Loads_AndDefaultsToATenSecondRefresh()
    {
        var file = _dir.Write("gateway.json", """{ "admin": { "subjects": ["alice"], "roles": ["GatewayAdmins"] } }""");

        var options = ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)).Options;

        Assert.Equal(["alice"], options.Admin.Subjects);
        Assert.Equal(["GatewayAdmins"], options.Admin.Roles);
        Assert.Equal(10, options.Admin.RefreshSeconds);
    }

    [Theory]
    [InlineData("""{ "admin": { "subjects": ["alice", "alice"] } }""", "admin.subjects[1]: 'alice' is listed more than once")]
    [InlineData("""{ "admin": { "roles": [" ops"] } }""", "admin.roles[0]: ' ops' is empty or has leading or trailing spaces")]
    [InlineData("""{ "admin": { "refresh_seconds": 0 } }""", "admin.refresh_seconds: ")]
    [InlineData("""{ "admin": { "members": ["alice"] } }""", "admin")]
    public void UnsoundAdminConfiguration_IsRefused_NamingPathAndProblem(string json, string expected)
    {
        var file = _dir.Write("gateway.json", json);
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)));
        Assert.Contains(ex.Errors.Select(e => e[(file.Length + 2)..]), e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
