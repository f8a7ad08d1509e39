using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Auth;

/// <summary>Helpers shared by the auth tests: ports, keys, gateway configuration and raw OAuth calls.</summary>
public static class AuthTestKit
{
    public const string Redirect = "http://127.0.0.1:1/callback";

    /// <summary>A free loopback port (the gateway's base URL must be known before it starts); the test kit's <see cref="Fixtures.FreePort"/>.</summary>
    public static int FreePort() => Fixtures.FreePort.Next();

    /// <summary>Writes a new RSA private key as PEM to a temp file; returns a <c>file:</c> reference.</summary>
    public static string NewSigningKeyReference()
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(Directory.CreateTempSubdirectory("gw-key-").FullName, "signing.pem");
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        return "file:" + path;
    }

    /// <summary>A gateway-mode configuration federating to <paramref name="idp"/>, with one backend.</summary>
    public static JsonObject GatewayConfig(int port, string idp, Uri backend, string signingKey, string? baseUrl = null) => new()
    {
        ["hosting"] = new JsonObject { ["base_url"] = baseUrl ?? $"http://127.0.0.1:{port}" },
        ["auth"] = new JsonObject
        {
            ["mode"] = "gateway",
            ["signing_key"] = signingKey,
            ["upstream"] = new JsonObject { ["issuer"] = idp, ["client_id"] = "gateway", ["client_secret"] = "gateway-secret" },
            ["clients"] = new JsonArray(new JsonObject
            {
                ["client_id"] = "preregistered",
                ["client_secret"] = "preregistered-secret",
                ["client_name"] = "Pre-registered Test Client",
                ["redirect_uris"] = new JsonArray(Redirect),
            }),
        },
        ["servers"] = new JsonArray(new JsonObject { ["id"] = "sample", ["url"] = backend.ToString() }),
    };

    /// <summary>POST /register; returns client id and secret.</summary>
    public static async Task<(string ClientId, string? Secret)> RegisterAsync(Uri gateway, string redirectUri = Redirect, string method = "client_secret_post", string name = "Dynamic Test Client")
    {
        using var http = new HttpClient();
        var body = new JsonObject
        {
            ["redirect_uris"] = new JsonArray(redirectUri),
            ["token_endpoint_auth_method"] = method,
            ["grant_types"] = new JsonArray("authorization_code", "refresh_token"),
            ["client_name"] = name,
        };
        using var response = await http.PostAsync(new Uri(gateway, "/register"), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (json["client_id"]!.GetValue<string>(), json["client_secret"]?.GetValue<string>());
    }

    /// <summary>An /authorize URL.</summary>
    public static Uri AuthorizeUrl(Uri gateway, string clientId, string? challenge, string? method = "S256", string redirectUri = Redirect, string? state = "st-1", string? resource = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = "mcp",
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = method,
            ["resource"] = resource ?? new Uri(gateway, "/mcp").ToString(),
        };
        return new Uri(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(new Uri(gateway, "/authorize").ToString(), query.Where(p => p.Value is not null)!));
    }

    /// <summary>A PKCE verifier and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>POST /token with a form (client_secret_post when a secret is given).</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Body)> TokenAsync(Uri gateway, IDictionary<string, string> form)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(gateway, "/token"), new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>Redeems an authorization code at /token (client_secret_post when a secret is given, else a public client).</summary>
    public static Task<(HttpStatusCode Status, JsonNode Body)> RedeemAsync(Uri gateway, string clientId, string? secret, string code, string verifier, string redirect = Redirect)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = clientId,
        };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }
        return TokenAsync(gateway, form);
    }

    /// <summary>Runs the whole browser part for an /authorize URL and returns the code.</summary>
    public static async Task<string> AuthorizeCodeAsync(Uri authorizeUrl, string login = "alice", string redirect = Redirect)
    {
        using var browser = new BrowserDriver { Login = login };
        var final = await browser.RunAsync(authorizeUrl, redirect);
        return Query(final, "code") ?? throw new InvalidOperationException("no code in " + final);
    }

    /// <summary>Registers a client, runs the browser part as <paramref name="login"/> and redeems the code: an access token for /mcp.</summary>
    public static async Task<string> AccessTokenAsync(Uri gateway, string login)
    {
        var (clientId, secret) = await RegisterAsync(gateway);
        var (verifier, challenge) = Pkce();
        var code = await AuthorizeCodeAsync(AuthorizeUrl(gateway, clientId, challenge), login);
        var (status, body) = await RedeemAsync(gateway, clientId, secret, code, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>One query parameter of a URL.</summary>
    public static string? Query(Uri uri, string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>The HTTP status /mcp answers an initialize request carrying <paramref name="accessToken"/>.</summary>
    public static async Task<HttpStatusCode> McpStatusAsync(Uri gateway, string accessToken)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(InitializeRequest(gateway, accessToken));
        return response.StatusCode;
    }

    /// <summary>Asserts that /mcp refuses <paramref name="accessToken"/>: 401 with <c>error="invalid_token"</c>.</summary>
    public static async Task AssertRefusedAtMcpAsync(Uri gateway, string accessToken)
    {
        using var http = new HttpClient();
        using var response = await http.SendAsync(InitializeRequest(gateway, accessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    /// <summary>An MCP initialize request to /mcp with a bearer token.</summary>
    public static HttpRequestMessage InitializeRequest(Uri gateway, string? token, string? sessionId = null) =>
        McpPost(gateway, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", token, sessionId);

    /// <summary>A JSON-RPC message POSTed to /mcp with a bearer token; on a session it carries the session id and protocol version.</summary>
    public static HttpRequestMessage McpPost(Uri gateway, string json, string? token, string? sessionId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/mcp")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        if (sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", sessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }
        return request;
    }
}
