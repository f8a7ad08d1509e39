using System.Text.Json.Nodes;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Tests.Conformance;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Gateway;

public sealed class BackendDefinitionsTests
{
    [Fact]
    public void NpmShortcut_RunsNpxWithPinnedPackage_AndExtraArgs()
    {
        var d = BackendDefinitions.From(new ServerOptions { Id = "ev", Type = "npm", Package = "@modelcontextprotocol/server-everything", Version = "2026.8.31", Args = ["stdio"] });
        Assert.Equal(BackendKind.Stdio, d.Kind);
        Assert.Equal("npx", d.Command);
        Assert.Equal(["-y", "@modelcontextprotocol/server-everything@2026.8.31", "stdio"], d.Args);
    }

    [Fact]
    public void PypiShortcut_RunsUvx()
    {
        var d = BackendDefinitions.From(new ServerOptions { Id = "t", Type = "pypi", Package = "mcp-server-time", Version = "0.6.2" });
        Assert.Equal("uvx", d.Command);
        Assert.Equal(["mcp-server-time@0.6.2"], d.Args);
    }

    [Fact]
    public void DockerShortcut_RunsAnInteractiveThrowawayContainer()
    {
        var d = BackendDefinitions.From(new ServerOptions { Id = "gh", Type = "docker", Image = "ghcr.io/github/github-mcp-server", Version = "v1" });
        Assert.Equal("docker", d.Command);
        Assert.Equal(["run", "-i", "--rm", "ghcr.io/github/github-mcp-server:v1"], d.Args);
    }

    [Fact]
    public void MissingLauncher_IsRefusedAtStartup_NamingServerAndLauncher()
    {
        var options = new GatewayOptions { Servers = [new ServerOptions { Id = "gh", Type = "docker", Image = "img" }] };
        var ex = Assert.Throws<ConfigurationException>(() => BackendDefinitions.From(options, launcherExists: _ => false));
        Assert.Contains("servers[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'docker'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not installed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_PrefixIsTheId_SessionPerClient_ThirtySecondTimeout()
    {
        var d = BackendDefinitions.From(new ServerOptions { Id = "alpha", Url = "http://127.0.0.1:1/mcp" });
        Assert.Equal("alpha", d.Prefix);
        Assert.Equal(BackendSessionMode.PerClient, d.SessionMode);
        Assert.Equal(TimeSpan.FromSeconds(30), d.Timeout);
        Assert.Equal("auto", d.Transport);
    }

    [Fact]
    public void EmptyPrefix_MeansNoPrefix() =>
        Assert.Equal("", BackendDefinitions.From(new ServerOptions { Id = "alpha", Url = "http://127.0.0.1:1/mcp", Prefix = "" }).Prefix);

    [Theory]
    [InlineData("delegate_oauth")]
    [InlineData("proxy_oauth")]
    [InlineData("master_oauth")]
    public void CredentialStrategies_WithoutClientAuthOrConfig_AreRefusedWithMessagesNamingWhatIsMissing(string strategy)
    {
        var options = new GatewayOptions { Servers = [new ServerOptions { Id = "a", Url = "http://127.0.0.1:1/mcp", AuthStrategy = strategy }] };
        var problems = GatewayOptionsValidator.Validate(options).ToList();
        Assert.Contains(problems, p => p.Path == "servers[0].auth_strategy" && p.Message.Contains("auth.mode", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Path.StartsWith("servers[0].auth_config", StringComparison.Ordinal));
    }

    [Fact]
    public void DelegateOAuth_WithAProviderAndClientAuth_IsAccepted_AndTyped()
    {
        var server = new ServerOptions
        {
            Id = "gh",
            Url = "https://example.com/mcp",
            AuthStrategy = "delegate_oauth",
            AuthConfig = new System.Text.Json.Nodes.JsonObject { ["provider"] = "github", ["client_id"] = "id", ["client_secret"] = "env:GH_SECRET", ["refresh_before_seconds"] = 30 },
        };
        var options = new GatewayOptions { Auth = new AuthOptions { Mode = "jwt" }, Servers = [server] };
        Assert.DoesNotContain(GatewayOptionsValidator.Validate(options), p => p.Path.StartsWith("servers[0]", StringComparison.Ordinal));
        var definition = BackendDefinitions.From(server);
        Assert.True(definition.UsesUserCredentials);
        Assert.Equal(30, definition.AuthConfig.RefreshBeforeSeconds);
    }

    [Fact]
    public void ServerWithBothUrlAndCommand_IsRefused()
    {
        var options = new GatewayOptions { Servers = [new ServerOptions { Id = "a", Url = "http://127.0.0.1:1/mcp", Command = "x" }] };
        Assert.Contains(GatewayOptionsValidator.Validate(options), e => e.Path == "servers[0]");
    }

    [Fact]
    public void DuplicateIds_AreRefused()
    {
        var options = new GatewayOptions { Servers = [new ServerOptions { Id = "a", Url = "http://127.0.0.1:1/mcp" }, new ServerOptions { Id = "a", Url = "http://127.0.0.1:2/mcp" }] };
        Assert.Contains(GatewayOptionsValidator.Validate(options), e => e.Path == "servers[1].id");
    }

    private static JsonObject Server(string id, string marker, params string[] args) => new()
    {
        ["id"] = id,
        ["command"] = "dotnet",
        ["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]),
        ["config"] = new JsonObject { ["environment"] = new JsonObject { ["MARKER"] = marker, ["OTHER"] = "x" } },
    };

    private static JsonObject HttpServer(string id, string header) => new()
    {
        ["id"] = id,
        ["url"] = "http://127.0.0.1:1/mcp",
        ["headers"] = new JsonObject { ["X-Api-Key"] = header, ["X-Other"] = "y" },
    };

    /// <summary>Loads a config file the way the gateway does (two calls give two independent object graphs).</summary>
    private static IReadOnlyList<BackendDefinition> Load(params JsonObject[] servers)
    {
        using var dir = new TempDirectory();
        var file = dir.Write("gateway.json", new JsonObject { ["servers"] = new JsonArray([.. servers]) }.ToJsonString());
        var config = ConfigurationLoader.Load(new ConfigInputs(["--config", file], new Dictionary<string, string> { ["MASTER_ENV"] = "Development" }, RepoPaths.Root));
        return BackendDefinitions.From(config.Options);
    }

    [Fact]
    public void Definitions_FromTwoSeparateLoadsOfTheSameConfig_AreEqual_WithEqualHashCodes()
    {
        var first = Load(Server("s", "m", "--stdio", "--name", "s"), HttpServer("h", "k"));
        var second = Load(Server("s", "m", "--stdio", "--name", "s"), HttpServer("h", "k"));
        Assert.NotSame(first[0].Args, second[0].Args);
        Assert.NotSame(first[0].Environment, second[0].Environment);
        Assert.NotSame(first[1].Headers, second[1].Headers);
        Assert.Equal(first, second);
        Assert.Equal(first.Select(d => d.GetHashCode()), second.Select(d => d.GetHashCode()));
        Assert.True(BackendChanges.Between(first, second).IsEmpty);
    }

    [Fact]
    public void Definitions_ThatDifferInArgsEnvironmentHeadersOrAuthScopes_AreNotEqual()
    {
        var stdio = Load(Server("s", "m", "--stdio", "--name", "s"))[0];
        var http = Load(HttpServer("h", "k"))[0];
        Assert.NotEqual(stdio, Load(Server("s", "m", "--stdio", "--name", "t"))[0]);
        Assert.NotEqual(stdio, Load(Server("s", "m", "--stdio", "--name"))[0]);
        Assert.NotEqual(stdio, Load(Server("s", "n", "--stdio", "--name", "s"))[0]);
        Assert.NotEqual(http, Load(HttpServer("h", "other-key"))[0]);
        var scoped = stdio with { AuthConfig = new BackendAuthConfig { Scopes = ["a", "b"] } };
        Assert.Equal(scoped, stdio with { AuthConfig = new BackendAuthConfig { Scopes = ["a", "b"] } });
        Assert.NotEqual(scoped, stdio with { AuthConfig = new BackendAuthConfig { Scopes = ["a", "c"] } });
        Assert.NotEqual(stdio, stdio with { Environment = new Dictionary<string, string> { ["MARKER"] = "m" } });
    }

    [Fact]
    public void BackendChanges_NameExactlyTheAddedRemovedAndChangedBackends()
    {
        var before = Load(Server("same", "m", "a"), Server("changed", "m", "a"), Server("removed", "m", "a"));
        var after = Load(Server("same", "m", "a"), Server("changed", "m", "b"), Server("added", "m", "a"));
        var changes = BackendChanges.Between(before, after);
        Assert.Equal(["added"], changes.Added);
        Assert.Equal(["removed"], changes.Removed);
        Assert.Equal(["changed"], changes.Changed);
    }
}
