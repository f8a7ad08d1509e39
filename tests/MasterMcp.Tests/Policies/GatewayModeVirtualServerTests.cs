using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Policies;

/// <summary>gateway mode: the built-in authorization server issues tokens for a virtual server's own resource URL.</summary>
[Collection("azurite")]
public sealed class GatewayModeVirtualServerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TokenIssuedForAVirtualServer_IsAcceptedThereOnly_AndUnknownResourcesAreRefused()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString,
            config => config["virtual_servers"] = new JsonArray(new JsonObject { ["name"] = "dev", ["include"] = new JsonArray("*") }));
        var gateway = bed.Gateway.BaseUrl;
        var devResource = new Uri(gateway, "/mcp/dev").ToString();

        using var http = new HttpClient();
        var metadata = JsonNode.Parse(await http.GetStringAsync(new Uri(gateway, "/.well-known/oauth-protected-resource/mcp/dev")))!;
        Assert.Equal(devResource, metadata["resource"]!.GetValue<string>());

        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge, resource: devResource), "alice");
        var (status, body) = await AuthTestKit.RedeemAsync(gateway, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        var devToken = body["access_token"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/mcp/dev", devToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "/mcp", devToken));
        var wholeToken = await AuthTestKit.AccessTokenAsync(gateway, "alice");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/mcp/dev", wholeToken));

        using var browser = new BrowserDriver { Login = "alice" };
        var refused = await browser.RunAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge, resource: new Uri(gateway, "/mcp/unknown").ToString()), AuthTestKit.Redirect);
        Assert.Equal("invalid_target", AuthTestKit.Query(refused, "error"));
    }

    private static async Task<HttpStatusCode> StatusAsync(Uri gateway, string path, string token)
    {
        using var http = new HttpClient();
        using var request = AuthTestKit.InitializeRequest(gateway, token);
        request.RequestUri = new Uri(gateway, path);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
