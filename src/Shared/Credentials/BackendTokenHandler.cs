using System.Net;
using System.Net.Http.Headers;
using MasterMcp.Backends;

namespace MasterMcp.Credentials;

/// <summary>
/// Adds <c>Authorization: Bearer</c> with the user's current token for the backend to every request of one (user, backend)
/// transport, so refreshed tokens apply without reconnecting. A 401 triggers one refresh and a retry; when that does not
/// help (or nothing can be refreshed) the tokens are forgotten and <see cref="ConsentRequiredException"/> leads the user to
/// the consent flow.
/// </summary>
public sealed class BackendTokenHandler(BackendCredentials credentials, UserIdentity user, BackendDefinition definition, Func<string?>? passthrough = null) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (passthrough is not null)
        {
            // master_oauth with allow_passthrough: only ever configured for a backend inside the gateway's own audience.
            if (passthrough() is { } own)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", own);
            }
            return await base.SendAsync(request, cancellationToken);
        }
        var token = await credentials.GetAccessTokenAsync(user, definition, cancellationToken);
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var contentHeaders = request.Content?.Headers.ToList();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }
        response.Dispose();
        if (definition.AuthStrategy == "master_oauth")
        {
            await credentials.ForgetAsync(user, definition, "the backend refused the exchanged token", cancellationToken);
            throw new BackendUnavailableException(definition.Id, "the backend refused the exchanged token");
        }
        // The backend refused a token we thought valid (revoked, or expired early): refresh once, then ask for consent.
        var fresh = await credentials.RefreshAsync(user, definition, token, cancellationToken);
        var retry = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers)
        {
            retry.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        if (body is not null)
        {
            retry.Content = new ByteArrayContent(body);
            foreach (var header in contentHeaders!)
            {
                retry.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        retry.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh.AccessToken);
        var second = await base.SendAsync(retry, cancellationToken);
        if (second.StatusCode == HttpStatusCode.Unauthorized)
        {
            second.Dispose();
            await credentials.ForgetAsync(user, definition, "the backend refused the token (401)", cancellationToken);
            throw new ConsentRequiredException(definition.Id, "the backend refused your token (401)");
        }
        return second;
    }
}
