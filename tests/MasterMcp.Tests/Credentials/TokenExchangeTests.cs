using System.Text.Json.Nodes;
using MasterMcp.Credentials;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Credentials;

/// <summary>master_oauth: the backend receives a token from the exchange endpoint for the same user, never the client's token.</summary>
[Collection("azurite")]
public sealed class TokenExchangeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task MasterOAuth_BackendReceivesAnExchangedTokenForTheUser_NotTheClientsToken()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite,
            server: b => new JsonObject
            {
                ["id"] = "prot",
                ["url"] = b.Protected.McpUrl.ToString(),
                ["auth_strategy"] = "master_oauth",
                ["auth_config"] = new JsonObject
                {
                    ["token_endpoint"] = b.BackendIdp.Issuer + "/token",
                    ["client_id"] = "backend-client",
                    ["client_secret"] = "file:" + Path.Combine(b.SecretsDirectory, "backend"),
                    ["resource"] = CredentialsBed.Audience,
                },
            },
            backendIdpArgs: publicUrl => ["--exchange-trust", publicUrl + "/.well-known/jwks.json"]);
        var (token, _) = await bed.SignInAsync("erin");
        await using var client = await CredentialsBed.ConnectAsync(bed.A, token);

        Assert.Contains("prot__whoami", await DelegatedFlowTests.Names(client));
        var answer = await DelegatedFlowTests.TextAsync(client, "prot__whoami");
        Assert.Contains("sub=erin", answer, StringComparison.Ordinal);
        // The backend only accepts tokens of its own provider: the client's token (issued by the gateway) is refused there.
        using (var http = new HttpClient())
        using (var direct = new HttpRequestMessage(HttpMethod.Post, bed.Protected.McpUrl) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") })
        {
            direct.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var refused = await http.SendAsync(direct);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Contains("GRANT urn:ietf:params:oauth:grant-type:token-exchange backend-client", bed.BackendIdp.Output, StringComparison.Ordinal);
        // The exchanged token is cached (encrypted) for the user; the client's token is not what the vault holds.
        var stored = await bed.Vault().GetAsync(new UserIdentity(bed.Idp.Issuer, "erin"), "prot");
        Assert.NotNull(stored);
        Assert.NotEqual(token, stored.AccessToken);
        Assert.Null(stored.RefreshToken);
        DelegatedFlowTests.AssertNoneIn(bed.Logs.Text + bed.BackendIdp.Output + bed.Protected.Output, [token, stored.AccessToken], "logs");
    }
}
