using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// A local stand-in for the Azure Key Vault secrets REST API, just the part <see cref="SecretClient"/> uses to read and set secrets:
/// HTTPS with an in-process self-signed certificate, the bearer challenge, <c>GET /secrets/{name}[/{version}]</c>,
/// <c>PUT /secrets/{name}</c> and Key Vault's error bodies. It counts authenticated reads per secret so tests can assert caching.
/// </summary>
public sealed class KeyVaultStandIn : IAsyncLifetime
{
    /// <summary>The tenant named in the challenge; the stand-in does not check it.</summary>
    public const string TenantId = "00000000-0000-0000-0000-00000000000a";

    private const string AcceptedToken = "key-vault-stand-in-token";

    private readonly ConcurrentDictionary<string, SecretHistory> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ReadHold> _holds = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<HttpMessageHandler> _handlers = [];
    private WebApplication? _app;
    private int _challenges;

    /// <summary>The self-signed server certificate; clients trust exactly this one.</summary>
    public X509Certificate2 Certificate { get; } = CreateCertificate();

    /// <summary>The vault address, <c>https://127.0.0.1:{port}</c>.</summary>
    public Uri VaultUri { get; private set; } = null!;

    /// <summary>A credential whose token the stand-in accepts (a real <c>DefaultAzureCredential</c> stalls offline).</summary>
    public TokenCredential Credential { get; } = new StaticTokenCredential(AcceptedToken);

    /// <summary>How many 401 challenges were sent (the client's first request to a vault has no token).</summary>
    public int Challenges => Volatile.Read(ref _challenges);

    /// <summary>Authenticated <c>GET</c>s of the secret so far, found or not.</summary>
    public int ReadCount(string name) => _reads.TryGetValue(name, out var count) ? count : 0;

    /// <summary>
    /// Holds every authenticated <c>GET</c> of the secret open (after counting it) until the returned hold is released or
    /// disposed, so a test can act while a fetch is in flight at the vault.
    /// </summary>
    public ReadHold HoldReads(string name)
    {
        var hold = new ReadHold(() => _holds.TryRemove(name, out _));
        return _holds.TryAdd(name, hold) ? hold : throw new InvalidOperationException($"Reads of '{name}' are already held.");
    }

    /// <summary>Stores a new version directly (as <c>az keyvault secret set</c> would) and returns the version id.</summary>
    public string SetSecret(string name, string value) => _secrets.GetOrAdd(name, _ => new SecretHistory()).Add(value).Version;

    /// <summary>
    /// Client options for a real <see cref="SecretClient"/>: a transport that trusts only <see cref="Certificate"/>,
    /// challenge resource verification off (the challenge names <c>vault.azure.net</c>, the vault is 127.0.0.1), and quick retries.
    /// </summary>
    public SecretClientOptions CreateClientOptions()
    {
        var expected = Certificate.RawData;
#pragma warning disable CA5399 // The callback pins the stand-in's own certificate; revocation does not apply to it.
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.RawData.AsSpan().SequenceEqual(expected),
        };
#pragma warning restore CA5399
        lock (_handlers)
        {
            _handlers.Add(handler);
        }

        var options = new SecretClientOptions
        {
            Transport = new HttpClientTransport(handler),
            DisableChallengeResourceVerification = true,
        };
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    /// <summary>A real <see cref="SecretClient"/> for <paramref name="vaultUri"/> (normally <see cref="VaultUri"/>) wired to the stand-in.</summary>
    public SecretClient CreateSecretClient(Uri? vaultUri = null) => new(vaultUri ?? VaultUri, Credential, CreateClientOptions());

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(Certificate);
            }));

        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();

        VaultUri = new Uri(_app.Urls.Single());
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        lock (_handlers)
        {
            _handlers.ForEach(h => h.Dispose());
        }

        Certificate.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;

        // Key Vault answers any request without a valid token with the challenge that tells the client where to get one.
        if (request.Headers.Authorization.ToString() != $"Bearer {AcceptedToken}")
        {
            Interlocked.Increment(ref _challenges);
            context.Response.Headers.WWWAuthenticate =
                $"Bearer authorization=\"https://login.microsoftonline.com/{TenantId}\", resource=\"https://vault.azure.net\"";
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }

        if (string.IsNullOrEmpty(request.Query["api-version"]))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "The request URI contains an invalid API version.");
            return;
        }

        var segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (request.Method, segments)
        {
            case ("GET", ["secrets", var name]):
                await GetAsync(context, name, version: null);
                break;
            case ("GET", ["secrets", var name, var version]):
                await GetAsync(context, name, version);
                break;
            case ("PUT", ["secrets", var name]):
                await PutAsync(context, name);
                break;
            default:
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", $"The stand-in does not implement {request.Method} {request.Path}.");
                break;
        }
    }

    private async Task GetAsync(HttpContext context, string name, string? version)
    {
        _reads.AddOrUpdate(name, 1, (_, count) => count + 1);
        if (_holds.TryGetValue(name, out var hold))
        {
            await hold.WaitAsync(context.RequestAborted);
        }

        var found = _secrets.TryGetValue(name, out var history) ? history.Find(version) : null;
        if (found is null)
        {
            var id = version is null ? name : $"{name}/{version}";
            await WriteErrorAsync(
                context,
                StatusCodes.Status404NotFound,
                "SecretNotFound",
                $"A secret with (name/id) {id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.");
            return;
        }

        await WriteSecretAsync(context, name, found);
    }

    private async Task PutAsync(HttpContext context, string name)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        if (!body.RootElement.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "Property 'value' is required.");
            return;
        }

        var stored = _secrets.GetOrAdd(name, _ => new SecretHistory()).Add(value.GetString()!);
        await WriteSecretAsync(context, name, stored);
    }

    private async Task WriteSecretAsync(HttpContext context, string name, SecretVersion secret)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("value", secret.Value);
        json.WriteString("id", $"{VaultUri.GetLeftPart(UriPartial.Authority)}/secrets/{name}/{secret.Version}");
        json.WriteStartObject("attributes");
        json.WriteBoolean("enabled", true);
        json.WriteNumber("created", secret.Created.ToUnixTimeSeconds());
        json.WriteNumber("updated", secret.Created.ToUnixTimeSeconds());
        json.WriteString("recoveryLevel", "Recoverable+Purgeable");
        json.WriteNumber("recoverableDays", 90);
        json.WriteEndObject();
        json.WriteStartObject("tags");
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Key Vault stand-in", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>A read held open by <see cref="HoldReads"/>: <see cref="Arrived"/> completes when a read reaches the vault.</summary>
    public sealed class ReadHold(Action onDispose) : IDisposable
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the first held read has arrived (and been counted).</summary>
        public Task Arrived => _arrived.Task;

        /// <summary>Lets every held read, and every later one, be answered.</summary>
        public void Release() => _released.TrySetResult();

        /// <inheritdoc />
        public void Dispose()
        {
            Release();
            onDispose();
        }

        internal Task WaitAsync(CancellationToken cancellationToken)
        {
            _arrived.TrySetResult();
            return _released.Task.WaitAsync(cancellationToken);
        }
    }

    private sealed record SecretVersion(string Version, string Value, DateTimeOffset Created);

    private sealed class SecretHistory
    {
        private readonly List<SecretVersion> _versions = [];

        public SecretVersion Add(string value)
        {
            var version = new SecretVersion(Guid.NewGuid().ToString("N"), value, DateTimeOffset.UtcNow);
            lock (_versions)
            {
                _versions.Add(version);
            }

            return version;
        }

        public SecretVersion? Find(string? version)
        {
            lock (_versions)
            {
                return version is null
                    ? _versions.LastOrDefault()
                    : _versions.Find(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
