using System.Net;
using System.Security.Cryptography;
using System.Text;
using MasterMcp.Deploy.Tests.Infrastructure;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Deploy.Tests.Gateway;

/// <summary>
/// deploy/scripts/smoke-test.sh against the real gateway process (the standalone host of the same build): with client
/// authentication on (jwt or gateway mode, origin secret required) it passes, without it it fails. And the settings
/// deploy/README.md lists as required in Production are what the gateway needs to start there.
/// </summary>
public sealed class SmokeTestAgainstTheGatewayTests
{
    private const string OriginSecret = "smoke-origin-secret";

    [Theory]
    [InlineData("jwt")]
    [InlineData("gateway")]
    public async Task SmokeTest_Passes_AgainstTheGateway_WithClientAuthentication(string mode)
    {
        var port = GatewayProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var arguments = new List<string> { "--storage.provider=memory", $"--hosting.base_url={baseUrl}", $"--auth.mode={mode}" };
        arguments.AddRange(mode == "jwt"
            ? ["--auth.jwt.issuer=http://127.0.0.1:1/issuer"]
            : [$"--auth.signing_key={NewSigningKeyReference()}", "--auth.upstream.issuer=http://127.0.0.1:1/idp", "--auth.upstream.client_id=gateway", "--auth.upstream.client_secret=env:UPSTREAM_SECRET"]);
        await using var gateway = await GatewayProcess.StartAsync(port, arguments, new Dictionary<string, string?>
        {
            ["MASTER_ENV"] = "Development",
            ["MASTER__security__origin_secret"] = OriginSecret,
            ["UPSTREAM_SECRET"] = "upstream-secret",
        });

        var result = await SmokeTestScriptTests.RunAsync(baseUrl, OriginSecret);

        Assert.True(result.ExitCode == 0, result.Output + "\n--- gateway ---\n" + gateway.Output);
        Assert.Contains($"ok: POST /mcp -> 401 (WWW-Authenticate: Bearer resource_metadata=\"{baseUrl}/.well-known/oauth-protected-resource/mcp\"", result.StdOut, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"ok: GET {baseUrl}/.well-known/oauth-protected-resource/mcp -> 200", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmokeTest_Fails_AgainstTheGateway_WithoutClientAuthentication()
    {
        var port = GatewayProcess.FreePort();
        await using var gateway = await GatewayProcess.StartAsync(port, ["--storage.provider=memory"], new Dictionary<string, string?> { ["MASTER_ENV"] = "Development" });

        var result = await SmokeTestScriptTests.RunAsync(gateway.Url.ToString(), null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expected 401", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithoutAuthOrTokenKey_RefusesToStart_WithExitCode2()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.Dll(), "--hosting.host=127.0.0.1", $"--hosting.port={GatewayProcess.FreePort()}"],
            environment: CleanEnvironment(new() { ["MASTER_ENV"] = "Production", ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }),
            timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.Output);
        Assert.Contains("auth.mode", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("TOKEN_ENC_KEY", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_WithTheRequiredSettings_Starts_AndChallengesOnMcp()
    {
        // What deploy/README.md lists for `docker run` in Production: auth (jwt here), base URL, TOKEN_ENC_KEY, storage.
        // Storage points at an Azurite that is not running: /health does not touch storage, /ready reports it.
        var port = GatewayProcess.FreePort();
        await using var gateway = await GatewayProcess.StartAsync(port, [], CleanEnvironment(new()
        {
            ["MASTER_ENV"] = "Production",
            ["MASTER_BASE_URL"] = "https://mcp.example.com",
            ["MASTER__auth__mode"] = "jwt",
            ["MASTER__auth__jwt__issuer"] = "https://login.example.com/tenant",
            ["TOKEN_ENC_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["AzureWebJobsStorage"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Convert.ToBase64String(Encoding.ASCII.GetBytes("not-a-real-key")) + ";TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
        }));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Url, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, gateway.Output);
        Assert.Equal("Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\"",
            response.Headers.WwwAuthenticate.ToString());
    }

    private static Dictionary<string, string?> CleanEnvironment(Dictionary<string, string?> values)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MASTER", StringComparison.Ordinal) || k.StartsWith("AzureWebJobs", StringComparison.Ordinal) || k is "TOKEN_ENC_KEY" or "PORT" or "BASE_URL" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_ENVIRONMENT" or "AZURE_FUNCTIONS_ENVIRONMENT"))
        {
            environment[key] = null;
        }
        foreach (var (key, value) in values)
        {
            environment[key] = value;
        }
        return environment;
    }

    private static string NewSigningKeyReference()
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(Directory.CreateTempSubdirectory("smoke-key-").FullName, "signing.pem");
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        return "file:" + path;
    }
}
