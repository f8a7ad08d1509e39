using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using MasterMcp.Credentials;
using MasterMcp.Storage;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Credentials;

/// <summary>
/// Everything a backend-credentials test needs, for real: the gateway's upstream IdP and a backend's own provider
/// (both oidc-provider), a C# MCP backend that requires and checks that provider's JWTs, an open backend, and one or
/// more in-process gateways (gateway auth mode) sharing Azurite, one TOKEN_ENC_KEY and a public URL; their logs are
/// captured at Trace level.
/// </summary>
public sealed class CredentialsBed : IAsyncDisposable
{
    public const string Audience = "urn:mcp:protected-backend";
    public const string BackendSecret = "backend-secret";
    public const string UpstreamSecret = "gateway-secret";

    private readonly List<IAsyncDisposable> _owned = [];

    public required OidcProviderProcess Idp { get; init; }
    public required OidcProviderProcess BackendIdp { get; init; }
    public required TestServerProcess Protected { get; init; }
    public required TestServerProcess Open { get; init; }
    public required string ConnectionString { get; init; }
    public required string Prefix { get; init; }
    public required string TokenKey { get; init; }
    public List<InProcessGateway> Gateways { get; } = [];
    public string SecretsDirectory { get; private set; } = "";
    public LogCapture Logs { get; } = new();

    public InProcessGateway A => Gateways[0];

    /// <summary>The TOKEN_ENC_KEY of each instance: all <see cref="TokenKey"/>, unless started with distinct keys.</summary>
    public List<string> TokenKeys { get; } = [];

    /// <summary>
    /// Starts the bed with <paramref name="instances"/> gateways (the first one's URL is the public URL);
    /// <paramref name="distinctTokenKeys"/> gives every instance after the first its own TOKEN_ENC_KEY (a misconfiguration).
    /// </summary>
    public static async Task<CredentialsBed> StartAsync(AzuriteFixture azurite, int instances = 1, Func<CredentialsBed, JsonObject>? server = null, Func<string, string[]>? backendIdpArgs = null,
        bool distinctTokenKeys = false, Action<JsonObject>? configure = null)
    {
        var ports = Enumerable.Range(0, instances).Select(_ => AuthTestKit.FreePort()).ToList();
        var publicUrl = $"http://127.0.0.1:{ports[0]}";
        var idp = await OidcProviderProcess.StartAsync();
        var backendIdp = await OidcProviderProcess.StartAsync(false, ["--backend", .. backendIdpArgs?.Invoke(publicUrl) ?? []]);
        var prot = await TestServerProcess.StartAsync("SampleServer", "--name", "prot", "--require-token", backendIdp.Issuer, "--audience", Audience);
        var open = await TestServerProcess.StartAsync("SampleServer", "--name", "open");
        var bed = new CredentialsBed
        {
            Idp = idp,
            BackendIdp = backendIdp,
            Protected = prot,
            Open = open,
            ConnectionString = azurite.ConnectionString,
            Prefix = "c" + Guid.NewGuid().ToString("N")[..12],
            TokenKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        bed._owned.AddRange([idp, backendIdp, prot, open]);
        var signingKey = AuthTestKit.NewSigningKeyReference();
        // Secrets as file references (the runtime resolver reads the process environment, which tests do not touch).
        var secretsDir = Directory.CreateTempSubdirectory("creds-secrets-").FullName;
        await File.WriteAllTextAsync(Path.Combine(secretsDir, "backend"), BackendSecret);
        await File.WriteAllTextAsync(Path.Combine(secretsDir, "upstream"), UpstreamSecret);
        bed.SecretsDirectory = secretsDir;
        var config = new JsonObject
        {
            ["hosting"] = new JsonObject { ["base_url"] = publicUrl },
            ["logging"] = new JsonObject { ["level"] = "trace", ["format"] = "plain" },
            ["storage"] = new JsonObject { ["table_prefix"] = bed.Prefix },
            ["auth"] = new JsonObject
            {
                ["mode"] = "gateway",
                ["signing_key"] = signingKey,
                ["upstream"] = new JsonObject { ["issuer"] = idp.Issuer, ["client_id"] = "gateway", ["client_secret"] = "file:" + Path.Combine(secretsDir, "upstream") },
            },
            ["servers"] = new JsonArray(
                new JsonObject { ["id"] = "open", ["url"] = open.McpUrl.ToString() },
                server?.Invoke(bed) ?? bed.DelegatedServer()),
        };
        configure?.Invoke(config);
        var file = Path.Combine(Directory.CreateTempSubdirectory("creds-").FullName, "config.json");
        await File.WriteAllTextAsync(file, config.ToJsonString());
        foreach (var port in ports)
        {
            bed.TokenKeys.Add(distinctTokenKeys && bed.TokenKeys.Count > 0 ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) : bed.TokenKey);
            var gateway = await InProcessGateway.StartAsync(
                ["--config", file],
                new Dictionary<string, string>
                {
                    ["AzureWebJobsStorage"] = azurite.ConnectionString,
                    ["TOKEN_ENC_KEY"] = bed.TokenKeys[^1],
                    ["BACKEND_SECRET"] = BackendSecret,
                    ["UPSTREAM_SECRET"] = UpstreamSecret,
                },
                inMemoryStorage: false,
                configureServices: s => s.AddSingleton<ILoggerProvider>(bed.Logs),
                port: port);
            bed.Gateways.Add(gateway);
        }
        return bed;
    }

    /// <summary>The protected backend as a delegate_oauth server with the backend provider as a generic OIDC provider.</summary>
    public JsonObject DelegatedServer(string strategy = "delegate_oauth") => new()
    {
        ["id"] = "prot",
        ["url"] = Protected.McpUrl.ToString(),
        ["auth_strategy"] = strategy,
        ["auth_config"] = new JsonObject
        {
            ["provider"] = "oidc",
            ["issuer"] = BackendIdp.Issuer,
            ["client_id"] = "backend-client",
            ["client_secret"] = "file:" + Path.Combine(SecretsDirectory, "backend"),
            ["scopes"] = new JsonArray("openid", "mcp"),
            ["resource"] = Audience,
            ["description"] = "reading who you are at the protected test backend",
        },
    };

    /// <summary>A gateway access token for <paramref name="login"/> and the browser (with its gateway login session) that got it.</summary>
    public async Task<(string Token, BrowserDriver Browser)> SignInAsync(string login)
    {
        var gateway = A.BaseAddress;
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        var browser = new BrowserDriver { Login = login };
        var final = await browser.RunAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge), AuthTestKit.Redirect);
        var (status, body) = await AuthTestKit.TokenAsync(gateway, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = AuthTestKit.Query(final, "code")!,
            ["redirect_uri"] = AuthTestKit.Redirect,
            ["code_verifier"] = verifier,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        return (body["access_token"]!.GetValue<string>(), browser);
    }

    /// <summary>
    /// <paramref name="login"/> signs in, connects the backend prot through instance A (the elicited link followed in the
    /// browser), and calls it through the second instance, which from then on holds the user's token in memory.
    /// </summary>
    public async Task<ConnectedOnTwoInstances> ConnectOnTwoInstancesAsync(string login)
    {
        var (token, browser) = await SignInAsync(login);
        var onA = await ConnectAsync(A, token);
        var link = await DelegatedFlowTests.ElicitedLinkAsync(onA, "prot__connect");
        Assert.Equal(HttpStatusCode.OK, (await FollowAsync(browser, link)).Status);
        var onB = await ConnectAsync(Gateways[1], token);
        Assert.Contains("sub=" + login, await DelegatedFlowTests.TextAsync(onB, "prot__whoami"), StringComparison.Ordinal);
        return new ConnectedOnTwoInstances(token, browser, onA, onB);
    }

    /// <summary>An MCP client of <paramref name="gateway"/> with a bearer token; URL elicitation declared unless told otherwise.</summary>
    public static async Task<McpClient> ConnectAsync(InProcessGateway gateway, string token, bool urlElicitation = true, Action? onToolsChanged = null)
    {
        var options = new McpClientOptions
        {
            // 2025-11-25 initializes a session, which is what unsolicited list_changed notifications need.
            ProtocolVersion = "2025-11-25",
            Capabilities = urlElicitation ? new ClientCapabilities { Elicitation = new ElicitationCapability { Url = new UrlElicitationCapability() } } : null,
            Handlers = new McpClientHandlers
            {
                NotificationHandlers =
                [
                    new(NotificationMethods.ToolListChangedNotification, (_, _) =>
                    {
                        onToolsChanged?.Invoke();
                        return ValueTask.CompletedTask;
                    }),
                ],
            },
        };
        if (urlElicitation)
        {
            options.Handlers.ElicitationHandler = (_, _) => ValueTask.FromResult(new ElicitResult { Action = "decline" });
        }
        return await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseAddress, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }), options);
    }

    /// <summary>Opens a link in a browser and follows it through login/consent to the end (a page without a form); returns that page.</summary>
    public static async Task<(HttpStatusCode Status, string Page)> FollowAsync(BrowserDriver browser, string url)
    {
        try
        {
            var final = await browser.RunAsync(new Uri(url), "never-stop:");
            throw new InvalidOperationException("unexpected stop at " + final);
        }
        catch (BrowserFlowException ex)
        {
            return (ex.Status, ex.Body);
        }
    }

    /// <summary>The vault of this bed (same storage, prefix and key as the gateways).</summary>
    public TokenVault Vault() => new(Stores(), new TokenProtector(TokenKeyRing.Parse(TokenKey)), TimeProvider.System, NullLogger<TokenVault>.Instance);

    public TableStoreFactory Stores() => new(new StorageOptions { ConnectionString = ConnectionString, TablePrefix = Prefix });

    /// <summary>Every property of every row of every table of this bed, as text.</summary>
    public async Task<string> RawTablesAsync()
    {
        var service = new TableServiceClient(ConnectionString);
        var text = new System.Text.StringBuilder();
        await foreach (var table in service.QueryAsync())
        {
            if (!table.Name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }
            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                text.Append(table.Name).Append(": ").AppendLine(string.Join(" ", entity.Select(p => $"{p.Key}={p.Value}")));
            }
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Kept for diagnosis of a failed run.
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), $"credentials-bed-{Prefix}.log"),
            Logs.Text + "\n--- backend idp\n" + BackendIdp.Output + "\n--- protected\n" + Protected.Output);
        foreach (var gateway in Gateways)
        {
            await gateway.DisposeAsync();
        }
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }
}

/// <summary>A user connected to the backend prot, with a client on each of two instances (<see cref="CredentialsBed.ConnectOnTwoInstancesAsync"/>).</summary>
public sealed record ConnectedOnTwoInstances(string Token, BrowserDriver Browser, McpClient OnA, McpClient OnB) : IAsyncDisposable
{
    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await OnB.DisposeAsync();
        await OnA.DisposeAsync();
    }
}
