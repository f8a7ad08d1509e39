using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Audit;
using MasterMcp.Credentials;
using MasterMcp.Storage;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// The admin API on one gateway (jwt mode, Table Storage on Azurite, two real backends): every operation with an admin's
/// bearer token carrying the <c>admin</c> scope; 403 without a token, with a token lacking the scope, or for a non-admin.
/// </summary>
[Collection("azurite")]
public sealed class AdminApiTests(AzuriteFixture azurite, AdminBed bed) : IClassFixture<AdminBed>, IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private string _admin = null!;

    private Uri Base => _gateway.BaseUrl;

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        var config = bed.Config(baseUrl, new JsonArray(new JsonObject
        {
            ["name"] = "no-beta-for-alice",
            ["effect"] = "deny",
            ["match"] = new JsonObject { ["subjects"] = new JsonArray("alice") },
            ["backends"] = new JsonArray("beta"),
        }));
        config["storage"] = new JsonObject { ["table_prefix"] = "a" + Guid.NewGuid().ToString("N")[..12] };
        // A browser origin trusted for MCP (CORS-style) is still not the admin console: admin changes must not follow it.
        config["security"] = new JsonObject { ["allowed_origins"] = new JsonArray("http://partner.example") };
        _gateway = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port);
        _admin = await bed.AdminTokenAsync(_gateway.McpUrl);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    public static TheoryData<string, string> Operations => new()
    {
        { "GET", "" }, { "GET", "backends" }, { "POST", "backends/alpha/reconnect" }, { "POST", "backends/alpha/disable" }, { "POST", "backends/alpha/enable" },
        { "GET", "catalog" }, { "GET", "sessions" }, { "GET", "users/alice/connections" }, { "POST", "users/alice/connections/alpha/revoke" },
        { "GET", "users/alice/catalog" }, { "GET", "clients" }, { "POST", "clients/some-client/delete" }, { "POST", "clients/some-client/restore" },
        { "GET", "config" }, { "GET", "errors" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EveryOperation_RefusesCallersWhoAreNotAdmins_With403NamingTheReason(string method, string path)
    {
        var verb = new HttpMethod(method);
        var (none, noneBody) = await AdminBed.CallAsync(Base, verb, path, token: null);
        Assert.Equal(HttpStatusCode.Forbidden, none);
        Assert.Equal("admin_required", (string?)noneBody!["error"]);

        var withoutScope = await bed.Idp.ClientCredentialsTokenAsync(_gateway.McpUrl.ToString(), "mcp");
        var (scopeless, scopelessBody) = await AdminBed.CallAsync(Base, verb, path, withoutScope);
        Assert.Equal(HttpStatusCode.Forbidden, scopeless);
        Assert.Equal("insufficient_scope", (string?)scopelessBody!["error"]);
        Assert.Contains("'admin' scope", (string?)scopelessBody["message"], StringComparison.Ordinal);

        // The admin scope alone makes nobody an admin: m2m-b is in neither admin.subjects nor admin.roles.
        var stranger = await bed.Idp.ClientCredentialsTokenAsync(_gateway.McpUrl.ToString(), "mcp admin", "m2m-b", "m2m-b-secret");
        var (notAdmin, notAdminBody) = await AdminBed.CallAsync(Base, verb, path, stranger);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin);
        Assert.Equal("not_admin", (string?)notAdminBody!["error"]);

        // Nothing changed on the way.
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);
    }

    [Fact]
    public async Task AdminByRoleClaim_IsServed()
    {
        // m2m-ops's token carries groups ['ops', 'dev-readers']; admin.roles lists 'ops'.
        var ops = await bed.Idp.ClientCredentialsTokenAsync(_gateway.McpUrl.ToString(), "admin", "m2m-ops", "m2m-ops-secret");
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "backends", ops);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!["backends"]!.AsArray().Count);
    }

    [Fact]
    public async Task Backends_ShowStateToolCountAndLatency_AndIndexListsOperations()
    {
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "backends", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        var alpha = body!["backends"]!.AsArray().Single(b => (string?)b!["id"] == "alpha")!;
        Assert.Equal("connected", (string?)alpha["state"]);
        Assert.True((int)alpha["tools"]! > 0);
        Assert.True((double)alpha["latency_ms"]! >= 0);
        Assert.Null(alpha["last_error"]);

        var (_, index) = await AdminBed.CallAsync(Base, HttpMethod.Get, "", _admin);
        Assert.Contains("POST backends/{id}/disable", index!["operations"]!.AsArray().Select(o => (string?)o));
    }

    [Fact]
    public async Task Disable_RemovesTheBackendFromLists_ClientGetsListChanged_ShownAsOverride_AuditedAndEnableRestores()
    {
        var (client, changes) = await AdminBed.ConnectAsync(_gateway.McpUrl, _admin);
        await using var session = client;
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));
        var before = changes.Count;

        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/beta/disable", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("disabled", (string?)body!["state"]);

        Assert.DoesNotContain("beta__echo", await AdminBed.ToolsAsync(client));
        Assert.Contains("alpha__echo", await AdminBed.ToolsAsync(client));
        await Wait.Until(() => changes.Count > before, "the connected client gets tools/list_changed");
        var (_, backends) = await AdminBed.CallAsync(Base, HttpMethod.Get, "backends", _admin);
        var beta = backends!["backends"]!.AsArray().Single(b => (string?)b!["id"] == "beta")!;
        Assert.Equal("disabled", (string?)beta["state"]);
        Assert.Equal("m2m", (string?)beta["override"]!["by"]);
        var (_, config) = await AdminBed.CallAsync(Base, HttpMethod.Get, "config", _admin);
        Assert.Equal("beta", (string?)config!["overrides"]!["disabled_backends"]![0]!["target"]);

        // The override wins over the configuration file: a reload that still lists beta keeps it disabled.
        Assert.True(await _gateway.Gateway.Monitor.ReloadAsync());
        Assert.DoesNotContain("beta__echo", await AdminBed.ToolsAsync(client));

        var afterDisable = changes.Count;
        (status, _) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/beta/enable", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("beta__echo", await AdminBed.ToolsAsync(client));
        await Wait.Until(() => changes.Count > afterDisable, "list_changed again when it returns");

        var rows = await Wait.For(AdminRowsAsync, r => r.Count >= 2, "both admin actions are in the audit table");
        Assert.Contains(rows, r => r.Backend == "beta" && r.PublicName == "backend.disable" && r.Subject == "m2m");
        Assert.Contains(rows, r => r.Backend == "beta" && r.PublicName == "backend.enable");
    }

    [Fact]
    public async Task Reconnect_ReopensTheSession_UnknownBackendIs404_WrongMethodIs405_UnknownPathIs404()
    {
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/alpha/reconnect", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("connected", (string?)body!["state"]);
        // No backplane here: only this instance reconnected, and the answer says so.
        Assert.Equal("this", (string?)body["instances"]);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/nope/disable", _admin);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("backend_not_found", (string?)body!["error"]);
        Assert.Contains("'nope'", (string?)body["message"], StringComparison.Ordinal);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "backends/alpha/disable", _admin);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Contains("POST backends/{id}/disable", (string?)body!["message"], StringComparison.Ordinal);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "nothing/here", _admin);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("nothing/here", (string?)body!["message"], StringComparison.Ordinal);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "users/alice/catalog?claim=nonsense", _admin);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_claim", (string?)body!["error"]);
    }

    [Fact]
    public async Task CatalogSessionsConfigErrors_Answer()
    {
        var (client, _) = await AdminBed.ConnectAsync(_gateway.McpUrl, _admin);
        await using var session = client;

        var (status, catalog) = await AdminBed.CallAsync(Base, HttpMethod.Get, "catalog", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        var echo = catalog!["tools"]!.AsArray().Single(t => (string?)t!["name"] == "beta__echo")!;
        Assert.Equal("beta", (string?)echo["backend"]);
        Assert.Equal("echo", (string?)echo["original_name"]);
        Assert.NotNull(catalog["collisions"]);

        var (_, sessions) = await AdminBed.CallAsync(Base, HttpMethod.Get, "sessions", _admin);
        Assert.True((int)sessions!["total"]! >= 1);
        Assert.Equal("this_instance", (string?)sessions["source"]);

        var (_, config) = await AdminBed.CallAsync(Base, HttpMethod.Get, "config", _admin);
        Assert.Equal("applied", (string?)config!["last_reload"]);
        Assert.Contains(config["files"]!.AsArray(), f => ((string?)f)!.EndsWith("gateway.json", StringComparison.Ordinal));

        var (_, errors) = await AdminBed.CallAsync(Base, HttpMethod.Get, "errors", _admin);
        Assert.Equal(200, (int)errors!["capacity"]!);
        Assert.NotNull(errors["errors"]);
    }

    [Fact]
    public async Task UserCatalog_NamesThePolicyRuleThatHidEachItem()
    {
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "users/alice/catalog", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        var hidden = body!["hidden"]!.AsArray();
        Assert.Contains(hidden, h => (string?)h!["name"] == "beta__echo" && (string?)h["hidden_by"] == "policies[0] (no-beta-for-alice): deny");
        Assert.Contains(body["visible"]!.AsArray(), v => (string?)v!["name"] == "alpha__echo");

        (_, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "users/bob/catalog", _admin);
        Assert.Empty(body!["hidden"]!.AsArray());
    }

    [Fact]
    public async Task Revoke_DeletesTheStoredToken_NeverShowsIt_AndSecondRevokeIs404()
    {
        var vault = _gateway.Services.GetRequiredService<TokenVault>();
        var alice = new UserIdentity(bed.Idp.Issuer, "alice");
        const string secret = "backend-access-token-that-must-never-show";
        await vault.SaveAsync(alice, "alpha", new TokenSet { AccessToken = secret });

        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "users/alice/connections", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("alpha", (string?)body!["connections"]![0]!["backend"]);
        Assert.DoesNotContain(secret, body.ToJsonString(), StringComparison.Ordinal);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "users/alice/connections/alpha/revoke", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)body!["revoked"]!);
        Assert.Null(await vault.GetAsync(alice, "alpha"));
        (_, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "users/alice/connections", _admin);
        Assert.Empty(body!["connections"]!.AsArray());

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "users/alice/connections/alpha/revoke", _admin);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("connection_not_found", (string?)body!["error"]);
        var rows = await Wait.For(AdminRowsAsync, r => r.Any(x => x.PublicName == "connection.revoke"), "the revocation is audited");
        Assert.Contains(rows, r => r.PublicName == "connection.revoke" && r.Backend == "alpha");
    }

    [Fact]
    public async Task Clients_DeleteAndRestore_AreShownAsOverrides()
    {
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "clients/unknown-client/delete", _admin);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("client_not_found", (string?)body!["error"]);

        // A metadata-document client (its id is a URL, sent as one encoded path segment) can be deleted without being stored.
        var cimd = Uri.EscapeDataString("https://app.example/client.json");
        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, $"clients/{cimd}/delete", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().IsClientDeleted("https://app.example/client.json"));
        (_, body) = await AdminBed.CallAsync(Base, HttpMethod.Get, "clients", _admin);
        var listed = body!["clients"]!.AsArray().Single(c => (string?)c!["client_id"] == "https://app.example/client.json")!;
        Assert.True((bool)listed["deleted"]!);
        Assert.Equal("metadata_document", (string?)listed["kind"]);

        (status, _) = await AdminBed.CallAsync(Base, HttpMethod.Post, $"clients/{cimd}/restore", _admin);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().IsClientDeleted("https://app.example/client.json"));
    }

    [Fact]
    public async Task BearerPost_FromAForeignBrowserOrigin_IsRefused()
    {
        var (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/beta/disable", _admin, origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("evil.example", (string?)body!["message"], StringComparison.Ordinal);
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);

        (status, body) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/beta/disable", _admin, origin: "http://partner.example");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("cross_site_request", (string?)body!["error"]);
        Assert.Empty(_gateway.Services.GetRequiredService<MasterMcp.Admin.OverrideState>().Current.DisabledBackends);

        // The gateway's own origin is fine.
        (status, _) = await AdminBed.CallAsync(Base, HttpMethod.Post, "backends/beta/disable", _admin, origin: Base.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task<List<AuditRow>> AdminRowsAsync()
    {
        var table = _gateway.Services.GetRequiredService<IStoreFactory>().GetTable(AuditTableWriter.TableName);
        return [.. (await table.QueryAllAsync(AuditJsonContext.Default.AuditRow).ToListAsync()).Select(r => r.Value).Where(r => r.Action == "admin")];
    }
}
