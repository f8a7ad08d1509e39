using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace MasterMcp.Auth;

/// <summary>
/// Fetches Client ID Metadata Documents: HTTPS only, no redirects, no proxy, size and time limits, cached. The address is
/// checked after DNS resolution by <see cref="OutboundAddressGuard"/>, so the checked address is the one connected to (no
/// rebinding): special-purpose addresses are refused unless the exact origin is in the Development allow-list.
/// </summary>
public sealed class ClientMetadataDocuments(IHttpClientFactory httpClients, AuthSettingsProvider settings, TimeProvider time)
{
    /// <summary>Name of the guarded HttpClient.</summary>
    public const string HttpClientName = "mcpgw-client-metadata";

    private readonly ConcurrentDictionary<string, (OAuthClient Client, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>True when a client id is a metadata document URL (an https URL with a path).</summary>
    public static bool IsMetadataDocumentUrl(string clientId) =>
        clientId.StartsWith("https://", StringComparison.Ordinal) && Uri.TryCreate(clientId, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1;

    /// <summary>Registers the guarded HttpClient.</summary>
    public static void Register(IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => OutboundAddressGuard.CreateHandler(context => IsDevelopmentAllowed(context, sp.GetRequiredService<AuthSettingsProvider>())));
    }

    /// <summary>The client described by the document at <paramref name="url"/>.</summary>
    public async Task<OAuthClient> GetAsync(string url, CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var options = current.Auth.ClientMetadataDocuments;
        if (!options.Enabled)
        {
            throw new ClientMetadataDocumentException("client metadata documents are not enabled on this gateway");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath.Length <= 1
            || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0 || uri.AbsolutePath.Split('/').Any(s => s is "." or ".."))
        {
            throw new ClientMetadataDocumentException("the client id must be an https URL with a path, without fragment, credentials or dot segments");
        }
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(url, out var cached) && cached.Until > now)
        {
            return cached.Client;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
        JsonObject document;
        TimeSpan? maxAge;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new ClientMetadataDocumentException($"the client metadata document answered {(int)response.StatusCode}");
            }
            if (response.Content.Headers.ContentLength > options.MaxBytes)
            {
                throw new ClientMetadataDocumentException($"the client metadata document is larger than {options.MaxBytes} bytes");
            }
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new byte[options.MaxBytes + 1];
            var total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(total), timeout.Token)) > 0)
            {
                total += read;
                if (total > options.MaxBytes)
                {
                    throw new ClientMetadataDocumentException($"the client metadata document is larger than {options.MaxBytes} bytes");
                }
            }
            document = StrictJson.ParseObject(buffer.AsSpan(0, total), out var problem)
                ?? throw new ClientMetadataDocumentException("the client metadata document " + problem);
            maxAge = response.Headers.CacheControl?.MaxAge;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClientMetadataDocumentException($"the client metadata document did not arrive within {options.TimeoutSeconds} s");
        }
        catch (HttpRequestException ex)
        {
            var refused = OutboundAddressGuard.FindRefusal(ex);
            throw new ClientMetadataDocumentException(refused is null ? "the client metadata document could not be fetched: " + ex.Message : refused.Message + " (SSRF guard)", ex);
        }

        var client = Parse(url, document, current.Auth.Registration.DeniedRedirectSchemes);
        var ttl = TimeSpan.FromSeconds(options.CacheSeconds);
        if (maxAge is { } age && age < ttl)
        {
            ttl = age;
        }
        if (ttl > TimeSpan.Zero)
        {
            _cache[url] = (client, now + ttl);
        }
        return client;
    }

    private static OAuthClient Parse(string url, JsonObject document, IReadOnlyList<string> deniedSchemes)
    {
        string? Str(string name) => document[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (Str("client_id") != url)
        {
            throw new ClientMetadataDocumentException("the document's client_id is not the URL it was fetched from");
        }
        var method = Str("token_endpoint_auth_method") ?? "none";
        if (method != "none")
        {
            throw new ClientMetadataDocumentException($"token_endpoint_auth_method '{method}' is not supported for metadata-document clients (only 'none')");
        }
        if (document["redirect_uris"] is not JsonArray redirects || redirects.Count == 0)
        {
            throw new ClientMetadataDocumentException("the document has no redirect_uris");
        }
        var uris = new List<string>();
        foreach (var node in redirects)
        {
            var value = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
            if (RedirectUris.Problem(value, deniedSchemes) is { } problem)
            {
                throw new ClientMetadataDocumentException($"redirect URI '{value}' {problem}");
            }
            uris.Add(value);
        }
        var scopes = Str("scope")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new OAuthClient(url, Str("client_name"), uris, OAuthClientKind.MetadataDocument, scopes);
    }

    // Development only: the exact origins in client_metadata_documents.development_allowed_origins may be private or loopback.
    private static bool IsDevelopmentAllowed(SocketsHttpConnectionContext context, AuthSettingsProvider settings)
    {
        var current = settings.Current;
        var origin = context.InitialRequestMessage.RequestUri!.GetLeftPart(UriPartial.Authority);
        return AuthOptionsValidator.IsDevelopment(current.EnvironmentName)
            && current.Auth.ClientMetadataDocuments.DevelopmentAllowedOrigins.Any(o => string.Equals(NormalizeOrigin(o), origin, StringComparison.OrdinalIgnoreCase));
    }

    private static string NormalizeOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : origin;
}
