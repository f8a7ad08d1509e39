using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Search;

/// <summary>tool_exposure from every configuration layer, and a wrong value named with its source and path.</summary>
public sealed class ToolExposureConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static GatewayOptions Load(IReadOnlyDictionary<string, string>? env = null, params string[] args) =>
        ConfigurationLoader.Load(new ConfigInputs(args, env ?? new Dictionary<string, string>(), RepoPaths.Root)).Options;

    [Fact]
    public void Default_IsAll()
    {
        Assert.Equal(ToolExposure.All, Load().ToolExposure);
        Assert.Equal(ToolExposure.All, new GatewayOptions().ToolExposure);
    }

    [Fact]
    public void Search_IsReadFromFileVariableAndArgument()
    {
        var file = _dir.Write("gateway.json", """{ "tool_exposure": "search" }""");
        Assert.Equal(ToolExposure.Search, Load(null, "--config", file).ToolExposure);
        Assert.Equal(ToolExposure.Search, Load(new Dictionary<string, string> { ["MASTER__tool_exposure"] = "search" }).ToolExposure);
        Assert.Equal(ToolExposure.Search, Load(null, "--tool_exposure=search").ToolExposure);
        Assert.Equal(ToolExposure.All, Load(new Dictionary<string, string> { ["MASTER__tool_exposure"] = "search" }, "--tool_exposure", "all").ToolExposure);
    }

    [Fact]
    public void UnknownValue_IsRefused_NamingFilePathAndTheAllowedValues()
    {
        var file = _dir.Write("gateway.json", """{ "tool_exposure": "minimal" }""");

        var ex = Assert.Throws<ConfigurationException>(() => Load(null, "--config", file));

        var error = Assert.Single(ex.Errors);
        Assert.StartsWith(file + ": tool_exposure: ", error, StringComparison.Ordinal);
        Assert.Contains("\"all\"", error, StringComparison.Ordinal);
        Assert.Contains("\"search\"", error, StringComparison.Ordinal);
    }
}
