using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using MasterMcp.Tests.Gateway;
using MasterMcp.Tests.Scaleout;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Policies;

/// <summary>
/// policies[] and virtual servers in jwt mode: real tokens from oidc-provider whose <c>groups</c> claims differ
/// (m2m-dev: dev; m2m-ops: ops, dev-readers; m2m: none), one real backend, the gateway on Kestrel.
/// </summary>
public sealed class PolicyTests : IAsyncLifetime
{
    private OidcProviderProcess _idp = null!;
    private TestServerProcess _backend = null!;
    private GatewayInstance _gateway = null!;
    private int _port;

    private string Resource => $"http://127.0.0.1:{_port}/mcp";

    public async Task InitializeAsync()
    {
        _idp = await OidcProviderProcess.StartAsync();
        _backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        _port = AuthTestKit.FreePort();
        _gateway = await GatewayInstance.StartAsync(Config(DevPolicies()), port: _port);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _idp.DisposeAsync();
    }

    /// <summary>dev may not use add or read sample://info; ops is both allowed and denied echo (deny wins).</summary>
    private static JsonArray DevPolicies() => new(
        new JsonObject
        {
            ["name"] = "dev: no arithmetic, no server info",
            ["effect"] = "deny",
            ["match"] = new JsonObject { ["claims"] = new JsonObject { ["groups"] = new JsonArray("dev") } },
            ["tools"] = new JsonArray("*__add"),
            ["resources"] = new JsonArray("mcp://alpha/sample://info"),
        },
        new JsonObject
        {
            ["effect"] = "allow",
            ["match"] = new JsonObject { ["claims"] = new JsonObject { ["groups"] = new JsonArray("ops") } },
            ["tools"] = new JsonArray("alpha__echo"),
        },
        new JsonObject
        {
            ["effect"] = "deny",
            ["match"] = new JsonObject { ["claims"] = new JsonObject { ["groups"] = new JsonArray("ops") } },
            ["tools"] = new JsonArray("alpha__ec*"),
        });

    private JsonObject Config(JsonArray policies) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = $"http://127.0.0.1:{_port}" },
        ["auth"] = new JsonObject
        {
            ["mode"] = "jwt",
            ["jwt"] = new JsonObject { ["issuer"] = _idp.Issuer },
        },
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = _backend.McpUrl.ToString() }),
        ["policies"] = policies,
        ["virtual_servers"] = new JsonArray(new JsonObject
        {
            ["name"] = "dev",
            ["title"] = "Dev tools",
            ["instructions"] = "Only what developers need.",
            ["include"] = new JsonArray("alpha__echo", "alpha__add", "alpha__slow"),
        }),
    };

    private Task<string> TokenAsync(string client, string? resource = null) =>
        _idp.ClientCredentialsTokenAsync(resource ?? Resource, "mcp", client, client + "-secret");

    private async Task<McpClient> ConnectAsync(string token, string path = "/mcp", McpClientOptions? options = null) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(_gateway.BaseUrl, path),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }), options ?? new McpClientOptions { ProtocolVersion = "2025-11-25" });

    private static async Task<List<string>> ToolNamesAsync(McpClient client) => [.. (await client.ListToolsAsync()).Select(t => t.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task TwoUsersWithDifferentClaims_SeeDifferentCatalogs()
    {
        await using var dev = await ConnectAsync(await TokenAsync("m2m-dev"));
        await using var ops = await ConnectAsync(await TokenAsync("m2m-ops"));
        await using var plain = await ConnectAsync(await TokenAsync("m2m"));

        var devTools = await ToolNamesAsync(dev);
        var opsTools = await ToolNamesAsync(ops);
        var plainTools = await ToolNamesAsync(plain);

        Assert.Contains("alpha__echo", devTools);
        Assert.DoesNotContain("alpha__add", devTools);
        Assert.Contains("alpha__add", opsTools);
        Assert.DoesNotContain("alpha__echo", opsTools);
        Assert.Contains("alpha__add", plainTools);
        Assert.Contains("alpha__echo", plainTools);
        Assert.Equal(plainTools.Except(["alpha__add"]), devTools);

        var devResources = (await dev.ListResourcesAsync()).Select(r => r.Uri).ToList();
        var opsResources = (await ops.ListResourcesAsync()).Select(r => r.Uri).ToList();
        Assert.DoesNotContain("mcp://alpha/sample://info", devResources);
        Assert.Contains("mcp://alpha/sample://info", opsResources);

        // What a user may see they may use.
        Assert.Equal("alpha/echo: hi", AggregationTests.Text(await dev.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "hi" })));
        Assert.Equal("5", AggregationTests.Text(await ops.CallToolAsync("alpha__add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })));
    }

    [Fact]
    public async Task DeniedToolCall_AndDeniedResourceRead_AnswerExactlyLikeUnknownOnes()
    {
        using var http = new HttpClient();
        var session = new RawMcpSession(http, _gateway.McpUrl, await TokenAsync("m2m-dev"));
        await session.InitializeAsync();
        async Task<string> RequestAsync(string json)
        {
            using var response = await session.SendAsync(JsonNode.Parse(json)!.AsObject());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await RawMcpSession.AnswerTextAsync(response);
        }

        var denied = await RequestAsync("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"alpha__add","arguments":{"a":1,"b":2}}}""");
        var unknown = await RequestAsync("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"alpha__nosuch","arguments":{"a":1,"b":2}}}""");
        Assert.Contains("alpha__add", denied, StringComparison.Ordinal);
        Assert.Equal(unknown.Replace("alpha__nosuch", "NAME", StringComparison.Ordinal), denied.Replace("alpha__add", "NAME", StringComparison.Ordinal));

        var deniedRead = await RequestAsync("""{"jsonrpc":"2.0","id":8,"method":"resources/read","params":{"uri":"mcp://alpha/sample://info"}}""");
        var unknownRead = await RequestAsync("""{"jsonrpc":"2.0","id":8,"method":"resources/read","params":{"uri":"mcp://nobody/sample://info"}}""");
        Assert.Contains("error", deniedRead, StringComparison.Ordinal);
        Assert.Equal(unknownRead.Replace("mcp://nobody/sample://info", "URI", StringComparison.Ordinal), deniedRead.Replace("mcp://alpha/sample://info", "URI", StringComparison.Ordinal));

        // The same read by a user the rule does not match reaches the backend.
        await using var ops = await ConnectAsync(await TokenAsync("m2m-ops"));
        var read = await ops.ReadResourceAsync("mcp://alpha/sample://info");
        Assert.Equal("info from alpha", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text);
    }

    [Fact]
    public async Task Capabilities_ListOnlyWhatTheCallerMaySee()
    {
        async Task<List<string>> ToolsAsync(string client)
        {
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.BaseUrl, "/capabilities"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TokenAsync(client));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return [.. body["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>())];
        }

        var dev = await ToolsAsync("m2m-dev");
        var ops = await ToolsAsync("m2m-ops");

        Assert.Contains("alpha__echo", dev);
        Assert.DoesNotContain("alpha__add", dev);
        Assert.Contains("alpha__add", ops);
        Assert.DoesNotContain("alpha__echo", ops);
    }

    [Fact]
    public async Task DenyBeatsAllow_TheUserBothAllowedAndDeniedATool_CannotSeeOrCallIt()
    {
        await using var ops = await ConnectAsync(await TokenAsync("m2m-ops"));

        Assert.DoesNotContain("alpha__echo", await ToolNamesAsync(ops));
        var error = await Assert.ThrowsAsync<McpProtocolException>(async () => await ops.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "x" }));
        Assert.Contains("Unknown tool: 'alpha__echo'", error.Message, StringComparison.Ordinal);
        Assert.Equal(McpErrorCode.InvalidParams, error.ErrorCode);
    }

    [Fact]
    public async Task Reload_ThatChangesPolicies_SendsListChanged_AndTheNewList()
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; })],
            },
        };
        await using var dev = await ConnectAsync(await TokenAsync("m2m-dev"), options: options);
        Assert.DoesNotContain("alpha__add", await ToolNamesAsync(dev));

        // The rule now denies echo instead of add.
        var policies = DevPolicies();
        policies[0]!["tools"] = new JsonArray("alpha__echo");
        await _gateway.WriteConfigAsync(Config(policies));

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var after = await ToolNamesAsync(dev);
        Assert.Contains("alpha__add", after);
        Assert.DoesNotContain("alpha__echo", after);
        Assert.Equal("3", AggregationTests.Text(await dev.CallToolAsync("alpha__add", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 })));
    }

    [Fact]
    public async Task VirtualServer_ComposesWithPolicies_AndIntroducesItself()
    {
        await using var dev = await ConnectAsync(await TokenAsync("m2m-dev"), "/mcp/dev");
        await using var ops = await ConnectAsync(await TokenAsync("m2m-ops"), "/mcp/dev");

        Assert.Equal(["alpha__echo", "alpha__slow"], await ToolNamesAsync(dev));
        Assert.Equal(["alpha__add", "alpha__slow"], await ToolNamesAsync(ops));
        Assert.Empty(await dev.ListResourcesAsync());
        Assert.Equal("Dev tools", dev.ServerInfo?.Title);
        Assert.Equal("Only what developers need.", dev.ServerInstructions);
    }

    [Fact]
    public async Task VirtualServer_HasItsOwnProtectedResourceMetadata_ChallengeAndAudience()
    {
        using var http = new HttpClient();
        var metadata = JsonNode.Parse(await http.GetStringAsync(new Uri(_gateway.BaseUrl, "/.well-known/oauth-protected-resource/mcp/dev")))!;
        Assert.Equal(Resource + "/dev", metadata["resource"]!.GetValue<string>());
        Assert.Equal("Dev tools", metadata["resource_name"]!.GetValue<string>());
        Assert.Equal(Resource, JsonNode.Parse(await http.GetStringAsync(new Uri(_gateway.BaseUrl, "/.well-known/oauth-protected-resource/mcp")))!["resource"]!.GetValue<string>());
        using (var unknown = await http.GetAsync(new Uri(_gateway.BaseUrl, "/.well-known/oauth-protected-resource/mcp/unknown")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var anonymous = await http.SendAsync(Initialize("/mcp/dev", null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains($"resource_metadata=\"http://127.0.0.1:{_port}/.well-known/oauth-protected-resource/mcp/dev\"", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // A token for the virtual server is good there only; a token for the whole gateway is good everywhere.
        var devOnly = await TokenAsync("m2m-dev", Resource + "/dev");
        var whole = await TokenAsync("m2m-dev");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/mcp/dev", devOnly));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/mcp", devOnly));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/mcp/dev", whole));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync("/mcp/unknown", whole));
    }

    private async Task<HttpStatusCode> StatusAsync(string path, string token)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(Initialize(path, token));
        return response.StatusCode;
    }

    private HttpRequestMessage Initialize(string path, string? token)
    {
        var request = AuthTestKit.InitializeRequest(_gateway.BaseUrl, token);
        request.RequestUri = new Uri(_gateway.BaseUrl, path);
        return request;
    }
}
