using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Admin;

/// <summary>
/// The admin API in gateway mode: tokens with the <c>admin</c> scope come from the built-in authorization server; an admin
/// deletes OAuth clients (a dynamic registration and a configured one) and the authorization server refuses them until
/// restored; someone who merely obtained the scope is still not an admin.
/// </summary>
[Collection("azurite")]
public sealed class AdminGatewayModeTests(AzuriteFixture azurite, AdminBed bed) : IClassFixture<AdminBed>
{
    [Fact]
    public async Task AdminDeletesClients_AuthorizationServerRefusesThem_UntilRestored_AndScopeAloneIsNotEnough()
    {
        var port = FreePort.Next();
        var config = AuthTestKit.GatewayConfig(port, bed.Idp.Issuer, bed.Alpha.McpUrl, AuthTestKit.NewSigningKeyReference());
        config["auth"]!["scopes_supported"] = new JsonArray("mcp", "admin");
        config["admin"] = new JsonObject { ["subjects"] = new JsonArray("ada") };
        config["storage"] = new JsonObject { ["table_prefix"] = "g" + Guid.NewGuid().ToString("N")[..12] };
        await using var gateway = await GatewayInstance.StartAsync(config, azurite.ConnectionString, port: port);
        var ada = await AdminTokenAsync(gateway.BaseUrl, "ada");

        var (clientId, _) = await AuthTestKit.RegisterAsync(gateway.BaseUrl, name: "To Be Deleted");
        var (status, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Get, "clients", ada);
        Assert.Equal(HttpStatusCode.OK, status);
        var clients = body!["clients"]!.AsArray();
        Assert.Contains(clients, c => (string?)c!["client_id"] == clientId && (string?)c["kind"] == "dynamic");
        Assert.Contains(clients, c => (string?)c!["client_id"] == "preregistered" && (string?)c["kind"] == "configured");
        Assert.Equal(HttpStatusCode.Redirect, await AuthorizeStatusAsync(gateway.BaseUrl, clientId));

        // A dynamic registration: its row goes, /authorize no longer knows it.
        (status, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, $"clients/{clientId}/delete", ada);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)body!["registration_removed"]!);
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeStatusAsync(gateway.BaseUrl, clientId));

        // A configured client: refused while the override stands, served again once restored.
        (status, _) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, "clients/preregistered/delete", ada);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.BadRequest, await AuthorizeStatusAsync(gateway.BaseUrl, "preregistered"));
        (_, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Get, "config", ada);
        Assert.Contains(body!["overrides"]!["deleted_clients"]!.AsArray(), d => (string?)d!["target"] == "preregistered");
        (status, _) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, "clients/preregistered/restore", ada);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.Redirect, await AuthorizeStatusAsync(gateway.BaseUrl, "preregistered"));

        // A deleted client's access token stops working at /mcp at once (even though it was validated and cached before).
        var (carol, carolsClient) = await AdminTokenWithClientAsync(gateway.BaseUrl, "carol");
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway.BaseUrl, carol));
        (status, _) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Post, $"clients/{carolsClient}/delete", ada);
        Assert.Equal(HttpStatusCode.OK, status);
        await AuthTestKit.AssertRefusedAtMcpAsync(gateway.BaseUrl, carol);

        // bob got the admin scope from the same authorization server, but is not an admin.
        var bob = await AdminTokenAsync(gateway.BaseUrl, "bob");
        (status, body) = await AdminBed.CallAsync(gateway.BaseUrl, HttpMethod.Get, "clients", bob);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("not_admin", (string?)body!["error"]);
    }

    /// <summary>A token of the built-in authorization server with the scopes "mcp admin", for <paramref name="login"/>.</summary>
    private static async Task<string> AdminTokenAsync(Uri gateway, string login) => (await AdminTokenWithClientAsync(gateway, login)).Token;

    /// <summary>The same, with the id of the client (registered for it) that the token was issued to.</summary>
    private static async Task<(string Token, string ClientId)> AdminTokenWithClientAsync(Uri gateway, string login)
    {
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var url = AuthTestKit.AuthorizeUrl(gateway, clientId, challenge).ToString().Replace("scope=mcp", "scope=mcp%20admin", StringComparison.Ordinal);
        var code = await AuthTestKit.AuthorizeCodeAsync(new Uri(url), login);
        var (status, body) = await AuthTestKit.RedeemAsync(gateway, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("admin", ((string?)body["scope"])!.Split(' '));
        return (body["access_token"]!.GetValue<string>(), clientId);
    }

    private static async Task<HttpStatusCode> AuthorizeStatusAsync(Uri gateway, string clientId)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var (_, challenge) = AuthTestKit.Pkce();
        using var response = await http.GetAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge));
        return response.StatusCode;
    }
}
