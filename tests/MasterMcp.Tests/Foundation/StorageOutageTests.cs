using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Gateway;
using MasterMcp.Storage;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using ModelContextProtocol;

namespace MasterMcp.Tests.Foundation;

/// <summary>
/// Table Storage down (Azurite killed): every route that needs it answers 503 with Retry-After and an error naming storage,
/// /health stays 200, /ready is 503, and the same gateway serves again once storage is back on its address.
/// </summary>
public sealed class StorageOutageTests
{
    private const string InitializeBody = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"outage-test","version":"1"}}}""";

    [Fact]
    public async Task StorageOutage_Answers503WithRetryAfter_OnMcpAndOAuthRoutes_AndServiceResumesWithoutRestart()
    {
        var azurite = await AzuriteProcess.StartAsync();
        try
        {
            await using var gateway = await InProcessGateway.StartAsync(
                ["--storage.timeout_seconds=1"],
                new Dictionary<string, string> { ["AzureWebJobsStorage"] = azurite.ConnectionString },
                inMemoryStorage: false);
            var oauthPort = AuthTestKit.FreePort();
            var oauthConfig = AuthTestKit.GatewayConfig(oauthPort, "http://127.0.0.1:1", new Uri("http://127.0.0.1:1/mcp"), AuthTestKit.NewSigningKeyReference());
            oauthConfig["storage"] = new JsonObject { ["timeout_seconds"] = 1 };
            await using var oauth = await GatewayInstance.StartAsync(oauthConfig, azurite.ConnectionString, port: oauthPort);

            using (var before = await InitializeAsync(gateway.Http))
            {
                Assert.True(before.StatusCode == HttpStatusCode.OK, await before.Content.ReadAsStringAsync());
            }
            await AuthTestKit.RegisterAsync(oauth.BaseUrl);

            await azurite.StopAsync();

            using (var initialize = await InitializeAsync(gateway.Http))
            {
                await AssertStorageUnavailableAsync(initialize);
            }
            using var http = new HttpClient { BaseAddress = oauth.BaseUrl };
            using (var register = await http.PostAsync(new Uri("/register", UriKind.Relative), new StringContent(
                """{"redirect_uris":["http://127.0.0.1:1/callback"],"token_endpoint_auth_method":"client_secret_post","client_name":"During outage"}""", Encoding.UTF8, "application/json")))
            {
                await AssertStorageUnavailableAsync(register);
            }
            using (var token = await http.PostAsync(new Uri("/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = "some-code",
                ["redirect_uri"] = AuthTestKit.Redirect,
                ["code_verifier"] = AuthTestKit.Pkce().Verifier,
                ["client_id"] = "preregistered",
                ["client_secret"] = "preregistered-secret",
            })))
            {
                await AssertStorageUnavailableAsync(token);
            }
            using (var health = await gateway.Http.GetAsync(new Uri("/health", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            using (var ready = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            }

            // Storage comes back on the same address (empty, as after a failover): the running gateways serve again.
            await azurite.DisposeAsync();
            azurite = await AzuriteProcess.StartAsync(azurite.Port);

            using (var after = await InitializeAsync(gateway.Http))
            {
                var body = await after.Content.ReadAsStringAsync();
                Assert.True(after.StatusCode == HttpStatusCode.OK, body);
                Assert.Contains("\"serverInfo\"", body, StringComparison.Ordinal);
                Assert.True(after.Headers.Contains("Mcp-Session-Id"), "initialize after the outage opens a session");
            }
            await AuthTestKit.RegisterAsync(oauth.BaseUrl);
            using (var ready = await gateway.Http.GetAsync(new Uri("/ready", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    [Fact]
    public async Task StorageFailure_InsideAnOpenStream_IsAJsonRpcErrorNamingStorage()
    {
        var handler = GatewayMcpServiceCollectionExtensions.StorageErrorsAsJsonRpc((_, _) =>
            throw new InvalidOperationException("wrapped", new StorageUnavailableException("http://127.0.0.1:1/devstoreaccount1", "connection refused")));

        // The filter never reads the message context; the handler it wraps throws what a store throws deep inside a call.
        var error = await Assert.ThrowsAsync<McpProtocolException>(() => handler(null!, CancellationToken.None));

        Assert.Equal(McpErrorCode.InternalError, error.ErrorCode);
        Assert.Contains("Storage", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageFailure_InAToolCall_IsAnErrorNamingStorage()
    {
        var handler = GatewayMcpServiceCollectionExtensions.StorageErrorsInToolResults((_, _) =>
            throw new AggregateException(new StorageUnavailableException("http://127.0.0.1:1/devstoreaccount1", "connection refused")));

        // The SDK puts an McpException's message into the tool call's isError result; any other exception loses it.
        var error = await Assert.ThrowsAsync<McpException>(async () => await handler(null!, CancellationToken.None));

        Assert.Contains("Storage", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> InitializeAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent(InitializeBody, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return await http.SendAsync(request);
    }

    private static async Task AssertStorageUnavailableAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {text}");
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After missing on {response.RequestMessage?.RequestUri}");
        var body = JsonNode.Parse(text)!;
        Assert.Equal("storage_unavailable", (string?)body["error"]);
        Assert.Contains("Storage", (string?)body["message"], StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", text, StringComparison.OrdinalIgnoreCase);
    }
}
