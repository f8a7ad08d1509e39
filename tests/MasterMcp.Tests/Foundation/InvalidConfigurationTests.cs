using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>An invalid configuration stops startup with exit code 2 and a message naming the file, the JSON path and the problem.</summary>
public sealed class InvalidConfigurationTests : IDisposable
{
    private const string WrongTypeAtServer1Url = """
        {
          "servers": [
            { "id": "docs", "url": "https://docs.example/mcp" },
            { "id": "broken", "url": 42 }
          ]
        }
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WrongType_ConfigurationException_NamesFilePathAndProblem()
    {
        var file = _dir.Write("gateway.json", WrongTypeAtServer1Url);

        var ex = Assert.Throws<ConfigurationException>(() =>
            ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)));

        var error = Assert.Single(ex.Errors);
        Assert.StartsWith(file + ": servers[1].url: ", error, StringComparison.Ordinal);
        Assert.Contains("string", error, StringComparison.Ordinal);
        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongTypeFromVariable_NamesTheVariable()
    {
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(new ConfigInputs(
            [], new Dictionary<string, string> { ["MASTER__hosting__port"] = "not-a-number" }, RepoPaths.Root)));

        Assert.Contains(ex.Errors, e => e.StartsWith("environment variable MASTER__hosting__port: hosting.port: ", StringComparison.Ordinal));
    }

    [Fact]
    public void OutOfRangeValue_IsReportedWithFileAndPath()
    {
        var file = _dir.Write("gateway.json", """
            { "hosting": { "port": 70000 }, "servers": [ { "id": "a", "url": "https://a.example" }, { "id": "a", "url": "ftp://x" } ] }
            """);

        var ex = Assert.Throws<ConfigurationException>(() =>
            ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string>(), RepoPaths.Root)));

        Assert.Contains(ex.Errors, e => e.StartsWith(file + ": hosting.port: ", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> UnknownKeys() => new()
    {
        // The same key name deeper in the object it was written in.
        { """{ "auth": { "mode": "jwt", "issuer": "https://idp.example" } }""", "auth.issuer: unknown key; did you mean auth.jwt.issuer or auth.upstream.issuer?" },
        // A typo inside an array item: the sibling a few edits away.
        { """{ "servers": [ { "id": "fs", "comand": "mcp-fs" } ] }""", "servers[0].comand: unknown key; did you mean command?" },
        { """{ "servers": [ { "id": "a", "url": "https://a.example/mcp" }, { "id": "b", "url": "https://b.example/mcp", "Headers": {} } ] }""", "servers[1].Headers: unknown key; did you mean headers?" },
        { """{ "hosting": { "prot": 4000 } }""", "hosting.prot: unknown key; did you mean port?" },
        // A setting written at the wrong level: the same name anywhere in the schema.
        { """{ "port": 4000 }""", "port: unknown key; did you mean hosting.port?" },
        // Nothing close: the keys that are valid there.
        { """{ "logging": { "colour": true } }""", "logging.colour: unknown key; valid keys here: level, format" },
    };

    [Theory]
    [MemberData(nameof(UnknownKeys))]
    public void UnknownKey_IsReportedAsSuch_WithTheNearestValidKeyFromTheSchema(string json, string expected)
    {
        var file = _dir.Write("gateway.json", json);

        var ex = Assert.Throws<ConfigurationException>(() =>
            ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" }, RepoPaths.Root)));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(file + ": " + expected, error);
    }

    [Fact]
    public async Task Process_WithWrongType_ExitsWith2_AndStderrNamesFileAndPath()
    {
        var file = _dir.Write("gateway.json", WrongTypeAtServer1Url);

        await using var gateway = await GatewayProcess.RunToExitAsync(["--config", file, "--hosting.host=127.0.0.1", "--hosting.port=0"]);

        Assert.True(gateway.ExitCode == 2, $"exit code {gateway.ExitCode}:\n{gateway.Output}");
        Assert.Contains($"{file}: servers[1].url:", gateway.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", gateway.Stderr, StringComparison.Ordinal);
    }
}
