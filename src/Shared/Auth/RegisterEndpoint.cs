using System.Text.Json.Nodes;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>POST /register: RFC 7591 dynamic client registration (gateway mode, when auth.dynamic_registration is on).</summary>
public sealed class RegisterEndpoint(AuthSettingsProvider settings, AuthStore store, Limits.RequestRateLimiter limiter, TimeProvider time) : IEndpointHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        var current = settings.Current;
        if (!current.IsGateway || !current.Auth.DynamicRegistration)
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "not_found", "Dynamic client registration is not enabled on this gateway.");
        }
        var policy = current.Auth.Registration;
        if (await limiter.CheckRegistrationAsync(context, policy.PerAddressPerMinute) is { } refused)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(refused.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await OAuthResponses.JsonAsync(context, new JsonObject
            {
                ["error"] = "too_many_requests",
                ["error_description"] = $"at most {policy.PerAddressPerMinute} registrations per minute from one address; retry later",
            }, StatusCodes.Status429TooManyRequests);
            return;
        }
        var maxBytes = policy.MaxDocumentBytes;
        if (context.Request.ContentLength > maxBytes || context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            await Error(context, "invalid_client_metadata", $"send at most {maxBytes} bytes of application/json");
            return;
        }
        // Read at most one byte more than allowed: a body without Content-Length cannot make us buffer more.
        var buffer = new byte[maxBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(total), context.RequestAborted)) > 0)
        {
            total += read;
        }
        if (total > maxBytes)
        {
            await Error(context, "invalid_client_metadata", $"the registration request is larger than {maxBytes} bytes");
            return;
        }
        var body = StrictJson.ParseObject(buffer.AsSpan(0, total), out var jsonProblem);
        if (body is null)
        {
            await Error(context, "invalid_client_metadata", "the body " + jsonProblem);
            return;
        }
        string? Str(string name) => body[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        List<string>? StrList(string name) => body[name] is JsonArray a && a.All(n => n is JsonValue v && v.TryGetValue<string>(out _)) ? a.Select(n => n!.GetValue<string>()).ToList() : null;

        var redirectUris = StrList("redirect_uris");
        if (redirectUris is null || redirectUris.Count == 0)
        {
            await Error(context, "invalid_redirect_uri", "redirect_uris is required");
            return;
        }
        if (redirectUris.Count > policy.MaxRedirectUris)
        {
            await Error(context, "invalid_redirect_uri", $"at most {policy.MaxRedirectUris} redirect_uris may be registered");
            return;
        }
        foreach (var uri in redirectUris)
        {
            if (uri.Length > policy.MaxRedirectUriLength)
            {
                await Error(context, "invalid_redirect_uri", $"a redirect URI may be at most {policy.MaxRedirectUriLength} characters");
                return;
            }
            if (RedirectUris.Problem(uri, policy.DeniedRedirectSchemes) is { } problem)
            {
                await Error(context, "invalid_redirect_uri", $"'{uri}' {problem}");
                return;
            }
        }
        var method = Str("token_endpoint_auth_method") ?? "client_secret_basic";
        if (method is not ("none" or "client_secret_basic" or "client_secret_post"))
        {
            await Error(context, "invalid_client_metadata", $"token_endpoint_auth_method '{method}' is not supported");
            return;
        }
        var grantTypes = StrList("grant_types") ?? ["authorization_code"];
        if (grantTypes.Any(g => g is not ("authorization_code" or "refresh_token")))
        {
            await Error(context, "invalid_client_metadata", "only the authorization_code and refresh_token grants are supported");
            return;
        }
        var responseTypes = StrList("response_types") ?? ["code"];
        if (responseTypes.Any(r => r != "code"))
        {
            await Error(context, "invalid_client_metadata", "only response type 'code' is supported");
            return;
        }
        var scope = Str("scope");
        if (scope is not null)
        {
            // Keep what this server offers; offline_access is implied.
            scope = string.Join(' ', scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => current.Auth.ScopesSupported.Contains(s)));
        }
        var clientName = Str("client_name") is { } name ? Shorten(name, 200) : null;
        var clientUri = Str("client_uri") is { } cu && Uri.TryCreate(cu, UriKind.Absolute, out var parsed) && parsed.Scheme == Uri.UriSchemeHttps ? cu : null;

        var clientId = "mcp_" + TokenCrypto.NewHandle()[..32];
        var secret = method == "none" ? null : TokenCrypto.NewHandle();
        var now = time.GetUtcNow();
        var record = new RegisteredClient(clientId, secret is null ? null : TokenCrypto.Hash(secret), clientName, clientUri, redirectUris, method,
            string.IsNullOrEmpty(scope) ? null : scope, now);
        // Forgotten unless a token is issued to it in time (ClientRegistry.MarkUsedAsync clears the expiry).
        await store.AddAsync(AuthStore.Clients, clientId, record, AuthJsonContext.Default.RegisteredClient, now.AddHours(policy.UnusedLifetimeHours), context.RequestAborted);

        var response = new JsonObject
        {
            ["client_id"] = clientId,
            ["client_id_issued_at"] = now.ToUnixTimeSeconds(),
            ["redirect_uris"] = new JsonArray([.. redirectUris.Select(u => (JsonNode)u)]),
            ["token_endpoint_auth_method"] = method,
            ["grant_types"] = new JsonArray([.. grantTypes.Select(g => (JsonNode)g)]),
            ["response_types"] = new JsonArray("code"),
        };
        if (secret is not null)
        {
            response["client_secret"] = secret;
            response["client_secret_expires_at"] = 0;
        }
        if (clientName is not null)
        {
            response["client_name"] = clientName;
        }
        if (clientUri is not null)
        {
            response["client_uri"] = clientUri;
        }
        if (!string.IsNullOrEmpty(scope))
        {
            response["scope"] = scope;
        }
        await OAuthResponses.JsonAsync(context, response, StatusCodes.Status201Created);
    }

    // Never between the two halves of a surrogate pair: a lone surrogate cannot be written as JSON.
    private static string Shorten(string value, int max) =>
        value.Length <= max ? value : value[..(char.IsHighSurrogate(value[max - 1]) ? max - 1 : max)];

    private static Task Error(HttpContext context, string error, string description) =>
        OAuthResponses.JsonAsync(context, new JsonObject { ["error"] = error, ["error_description"] = description }, StatusCodes.Status400BadRequest);
}
