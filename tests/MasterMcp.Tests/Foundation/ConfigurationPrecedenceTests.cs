using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Foundation;

/// <summary>
/// Configuration layers, level by level: CLI &gt; MASTER_HOSTING_PORT &gt; PORT &gt; config/&lt;env&gt;.json &gt; config/default.json,
/// the generic MASTER__section__key form, the named aliases, environment-name resolution and the explicit file layered over the files.
/// </summary>
public sealed class ConfigurationPrecedenceTests : IDisposable
{
    private readonly TempDirectory _base = new();

    public ConfigurationPrecedenceTests()
    {
        _base.Write("config/schema.json", File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "schema.json")));
        _base.Write("config/default.json", """
            {
              "$schema": "./schema.json",
              "hosting": { "host": "0.0.0.0", "port": 1000, "base_url": "http://default.example" },
              "logging": { "level": "warning", "format": "json" },
              "servers": []
            }
            """);
        _base.Write("config/development.json", """
            { "hosting": { "port": 2000 }, "logging": { "level": "debug" } }
            """);
        _base.Write("config/staging.json", """
            { "hosting": { "port": 3000 } }
            """);
    }

    public void Dispose() => _base.Dispose();

    private LoadedConfiguration Load(Dictionary<string, string>? env = null, params string[] args) =>
        ConfigurationLoader.Load(new ConfigInputs(args, env ?? [], _base.Path));

    [Fact]
    public void Port_EachLayer_OverridesTheOneBelow()
    {
        var env = new Dictionary<string, string>();
        Assert.Equal(1000, Load(env).Options.Hosting.Port);

        env["MASTER_ENV"] = "Development";
        Assert.Equal(2000, Load(env).Options.Hosting.Port);

        env["PORT"] = "4000";
        Assert.Equal(4000, Load(env).Options.Hosting.Port);

        env["MASTER_HOSTING_PORT"] = "5000";
        Assert.Equal(5000, Load(env).Options.Hosting.Port);

        Assert.Equal(6000, Load(env, "--hosting.port=6000").Options.Hosting.Port);
        Assert.Equal(6001, Load(env, "--hosting.port", "6001").Options.Hosting.Port);
    }

    [Fact]
    public void EnvironmentFile_OverridesOnlyTheKeysItSets()
    {
        var options = Load(new() { ["MASTER_ENV"] = "Development" }).Options;

        Assert.Equal(2000, options.Hosting.Port);
        Assert.Equal("debug", options.Logging.Level);
        Assert.Equal("0.0.0.0", options.Hosting.Host);
        Assert.Equal("json", options.Logging.Format);
        Assert.Equal("http://default.example", options.Hosting.BaseUrl);
    }

    [Fact]
    public void GenericVariable_SetsAnyKey_AndBeatsNamedAlias()
    {
        var options = Load(new()
        {
            ["MASTER__logging__level"] = "error",
            ["MASTER__security__origin_secret"] = "s3",
            ["MASTER__storage__timeout_seconds"] = "1.5",
            ["LOG_LEVEL"] = "trace",
        }).Options;

        Assert.Equal("error", options.Logging.Level);
        Assert.Equal("s3", options.Security.OriginSecret);
        Assert.Equal(1.5, options.Storage.TimeoutSeconds);
    }

    [Fact]
    public void CommandLine_BeatsGenericVariable()
    {
        var options = Load(new() { ["MASTER__logging__level"] = "error" }, "--logging.level=critical").Options;

        Assert.Equal("critical", options.Logging.Level);
    }

    [Theory]
    [InlineData("LOG_LEVEL", "error", "logging.level")]
    [InlineData("MASTER_LOG_LEVEL", "error", "logging.level")]
    [InlineData("BASE_URL", "https://gw.example/", "hosting.base_url")]
    [InlineData("MASTER_BASE_URL", "https://gw.example/", "hosting.base_url")]
    [InlineData("LOG_FORMAT", "plain", "logging.format")]
    [InlineData("PORT", "4321", "hosting.port")]
    [InlineData("MASTER_HOSTING_PORT", "4321", "hosting.port")]
    public void NamedAlias_SetsItsSetting(string variable, string value, string setting)
    {
        var options = Load(new() { [variable] = value }).Options;

        var actual = setting switch
        {
            "logging.level" => options.Logging.Level,
            "logging.format" => options.Logging.Format,
            "hosting.base_url" => options.Hosting.BaseUrl,
            "hosting.port" => options.Hosting.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(setting)),
        };
        Assert.Equal(value, actual);
    }

    [Fact]
    public void MasterPrefixedAlias_BeatsPlainAlias()
    {
        var options = Load(new()
        {
            ["LOG_LEVEL"] = "trace",
            ["MASTER_LOG_LEVEL"] = "error",
            ["BASE_URL"] = "https://plain.example/",
            ["MASTER_BASE_URL"] = "https://master.example/",
        }).Options;

        Assert.Equal("error", options.Logging.Level);
        Assert.Equal("https://master.example/", options.Hosting.BaseUrl);
    }

    [Fact]
    public void MasterServers_IsParsedAsJsonArray()
    {
        var options = Load(new()
        {
            ["MASTER_SERVERS"] = """[{"id":"docs","url":"https://docs.example/mcp"},{"id":"fs","command":"mcp-fs","args":["--root","/tmp"]}]""",
        }).Options;

        Assert.Collection(options.Servers,
            s => Assert.Equal(("docs", "https://docs.example/mcp"), (s.Id, s.Url)),
            s => Assert.Equal(("fs", "mcp-fs"), (s.Id, s.Command)));
        Assert.All(options.Servers, s => Assert.True(s.Enabled, "servers are enabled unless they say otherwise"));
    }

    [Theory]
    [InlineData("MASTER_ENV", "Staging")]
    [InlineData("AZURE_FUNCTIONS_ENVIRONMENT", "Staging")]
    [InlineData("DOTNET_ENVIRONMENT", "Staging")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "Staging")]
    public void EnvironmentName_ComesFromTheFirstSetVariable(string winner, string value)
    {
        string[] order = ["MASTER_ENV", "AZURE_FUNCTIONS_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT"];
        var env = new Dictionary<string, string> { [winner] = value };
        // Every lower-priority variable names a different environment; none of them may win.
        foreach (var lower in order.SkipWhile(n => n != winner).Skip(1))
        {
            env[lower] = "Development";
        }

        var loaded = Load(env);

        Assert.Equal("Staging", loaded.EnvironmentName);
        Assert.Equal(3000, loaded.Options.Hosting.Port);
    }

    [Fact]
    public void EnvironmentName_DefaultsToProduction_AndEmptyVariablesAreIgnored()
    {
        var loaded = Load(new() { ["MASTER_ENV"] = "", ["DOTNET_ENVIRONMENT"] = "" });

        Assert.Equal("Production", loaded.EnvironmentName);
        Assert.Equal(1000, loaded.Options.Hosting.Port);
    }

    [Fact]
    public void ExplicitFile_FromCliOrVariable_LayersOverTheDefaultAndEnvironmentFiles()
    {
        var explicitFile = _base.Write("elsewhere/gateway.json", """{ "hosting": { "port": 7000 }, "servers": [] }""");
        var otherFile = _base.Write("elsewhere/other.json", """{ "hosting": { "port": 7100 } }""");
        var env = new Dictionary<string, string> { ["MASTER_ENV"] = "Development" };

        Assert.Equal(7000, Load(env, "--config", explicitFile).Options.Hosting.Port);
        Assert.Equal(7000, Load(env, "--config=" + explicitFile).Options.Hosting.Port);
        env["MASTER_CONFIG_PATH"] = otherFile;
        Assert.Equal(7100, Load(env).Options.Hosting.Port);
        Assert.Equal(7000, Load(env, "--config", explicitFile).Options.Hosting.Port);

        var loaded = Load(env, "--config", explicitFile, "--hosting.port=7200");
        Assert.Equal(7200, loaded.Options.Hosting.Port);
        Assert.Equal("debug", loaded.Options.Logging.Level);
        Assert.Equal([Path.Combine(_base.Path, "config", "default.json"), Path.Combine(_base.Path, "config", "development.json"), explicitFile], loaded.Files);
    }

    [Fact]
    public void ExplicitFile_WithOnlySomeSections_KeepsTheFileLayersAndDefaultsForTheRest()
    {
        var explicitFile = _base.Write("partial.json", """{ "servers": [ { "id": "a", "url": "https://a.example/mcp" } ], "hosting": { "port": 7300 } }""");

        var options = Load(null, "--config", explicitFile).Options;

        Assert.Equal(7300, options.Hosting.Port);
        // From config/default.json, which the explicit file layers over.
        Assert.Equal("0.0.0.0", options.Hosting.Host);
        Assert.Equal("http://default.example", options.Hosting.BaseUrl);
        Assert.Equal("warning", options.Logging.Level);
        // Set by no file: the built-in defaults.
        Assert.Equal(new HostingOptions().ShutdownTimeoutSeconds, options.Hosting.ShutdownTimeoutSeconds);
        Assert.Equal(new SecretSettings().CacheTtlSeconds, options.Secrets.CacheTtlSeconds);
        Assert.Equal(new SecurityOptions().OriginSecretHeader, options.Security.OriginSecretHeader);
        Assert.Equal(new SessionOptions().IdleTimeoutMinutes, options.Sessions.IdleTimeoutMinutes);
        Assert.Equal(new StorageSettings().TimeoutSeconds, options.Storage.TimeoutSeconds);
        Assert.True(Assert.Single(options.Servers).Enabled);
    }

    [Fact]
    public void ExplicitFile_ThatDoesNotExist_IsReportedWithItsPath()
    {
        var missing = Path.Combine(_base.Path, "nope.json");

        var ex = Assert.Throws<ConfigurationException>(() => Load(null, "--config", missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DottedArgument_ForUnknownSection_IsIgnored_SoHostArgumentsPass()
    {
        var options = Load(null, "--functions-uri", "http://127.0.0.1:7071", "--hosting.port=8100").Options;

        Assert.Equal(8100, options.Hosting.Port);
    }
}
