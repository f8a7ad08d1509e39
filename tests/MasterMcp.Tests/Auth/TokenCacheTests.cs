using System.Net;
using System.Text.Json.Nodes;
using MasterMcp.Auth;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// The validated-token cache (gateway mode): a token whose signature was checked is trusted for a while, but never for
/// another audience, never after its grant was revoked and never after the key that signed it left the configuration.
/// </summary>
[Collection("azurite")]
public sealed class TokenCacheTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SecondRequestWithTheSameToken_IsAcceptedWithoutCheckingTheSignatureAgain_AndTheCacheCanBeTurnedOff()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);
        var gateway = bed.Gateway.BaseUrl;
        var validator = bed.Gateway.Services.GetRequiredService<AccessTokenValidator>();
        var token = await AuthTestKit.AccessTokenAsync(gateway, "alice");

        var before = validator.SignatureValidations;
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(before + 1, validator.SignatureValidations);
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(before + 1, validator.SignatureValidations);

        // A tampered copy is not the same token: checked, and refused.
        await AuthTestKit.AssertRefusedAtMcpAsync(gateway, token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA"));
        Assert.Equal(before + 2, validator.SignatureValidations);

        // auth.token_cache_seconds: 0 checks every request (reloaded without a restart).
        var config = JsonNode.Parse(await File.ReadAllTextAsync(bed.Gateway.ConfigPath))!.AsObject();
        config["auth"]!["token_cache_seconds"] = 0;
        await bed.Gateway.WriteConfigAsync(config);
        var settings = bed.Gateway.Services.GetRequiredService<AuthSettingsProvider>();
        await Wait.Until(() => settings.Current.Auth.TokenCacheSeconds == 0, "the configuration reloads");
        var uncached = validator.SignatureValidations;
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(uncached + 2, validator.SignatureValidations);
    }

    [Fact]
    public async Task RevokedGrant_ItsCachedTokenIsRefused()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);
        var gateway = bed.Gateway.BaseUrl;
        var validator = bed.Gateway.Services.GetRequiredService<AccessTokenValidator>();
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge));
        var (status, tokens) = await AuthTestKit.RedeemAsync(gateway, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        var access = tokens["access_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, access));
        var cached = validator.SignatureValidations;
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, access));
        Assert.Equal(cached, validator.SignatureValidations);

        // Refresh-token reuse revokes the grant; the access token is in the cache, and is refused all the same.
        var refresh = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>(),
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        };
        Assert.Equal(HttpStatusCode.OK, (await AuthTestKit.TokenAsync(gateway, refresh)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthTestKit.TokenAsync(gateway, refresh)).Status);
        await AuthTestKit.AssertRefusedAtMcpAsync(gateway, access);
        await AuthTestKit.AssertRefusedAtMcpAsync(gateway, access);
    }

    [Fact]
    public async Task TokenCachedForVirtualServerA_IsRefusedAtVirtualServerB_AndAtMcp()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString, config => config["virtual_servers"] = new JsonArray(
            new JsonObject { ["name"] = "a", ["include"] = new JsonArray("*") },
            new JsonObject { ["name"] = "b", ["include"] = new JsonArray("*") }));
        var gateway = bed.Gateway.BaseUrl;
        var validator = bed.Gateway.Services.GetRequiredService<AccessTokenValidator>();
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var code = await AuthTestKit.AuthorizeCodeAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge, resource: new Uri(gateway, "/mcp/a").ToString()));
        var (status, body) = await AuthTestKit.RedeemAsync(gateway, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        var tokenForA = body["access_token"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/mcp/a", tokenForA));
        var cached = validator.SignatureValidations;
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/mcp/a", tokenForA));
        Assert.Equal(cached, validator.SignatureValidations);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "/mcp/b", tokenForA));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "/mcp/b", tokenForA));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(gateway, "/mcp", tokenForA));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "/mcp/a", tokenForA));
    }

    [Fact]
    public async Task SigningKeyRemovedFromTheConfiguration_ItsCachedTokensAreRefused()
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);
        var gateway = bed.Gateway.BaseUrl;
        var token = await AuthTestKit.AccessTokenAsync(gateway, "alice");
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, token));

        // A new key, and the old one not kept as a previous key: the old key's tokens are no longer good anywhere.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(bed.Gateway.ConfigPath))!.AsObject();
        config["auth"]!["signing_key"] = AuthTestKit.NewSigningKeyReference();
        await bed.Gateway.WriteConfigAsync(config);
        await Wait.Until(async () => await AuthTestKit.McpStatusAsync(gateway, token) == HttpStatusCode.Unauthorized, "the reload drops the removed key's tokens");
        await AuthTestKit.AssertRefusedAtMcpAsync(gateway, token);
        Assert.Equal(HttpStatusCode.OK, await AuthTestKit.McpStatusAsync(gateway, await AuthTestKit.AccessTokenAsync(gateway, "alice")));
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
