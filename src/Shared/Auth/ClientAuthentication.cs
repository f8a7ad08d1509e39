using System.Text;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// Client authentication at the token and revocation endpoints: <c>client_secret_basic</c>, <c>client_secret_post</c>,
/// or <c>none</c> for public clients (an empty secret counts as none). Confidential clients must present their secret.
/// </summary>
public sealed class ClientAuthentication(ClientRegistry clients)
{
    /// <summary>The authenticated client, or the OAuth error (status, error, description).</summary>
    public async Task<(OAuthClient? Client, (int Status, string Error, string Description)? Failure)> AuthenticateAsync(HttpContext context, IFormCollection form)
    {
        string? id = form["client_id"].Count > 0 ? form["client_id"].ToString() : null;
        string? secret = form["client_secret"].Count > 0 ? form["client_secret"].ToString() : null;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (secret is not null)
            {
                return (null, (400, "invalid_request", "use one client authentication method, not two"));
            }
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            }
            catch (FormatException)
            {
                return (null, (401, "invalid_client", "the Basic credentials are not valid base64"));
            }
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return (null, (401, "invalid_client", "the Basic credentials have no ':'"));
            }
            var basicId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            if (id is not null && id != basicId)
            {
                return (null, (400, "invalid_request", "client_id differs from the Basic credentials"));
            }
            id = basicId;
            secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
        }
        if (string.IsNullOrEmpty(id))
        {
            return (null, (401, "invalid_client", "client authentication is required"));
        }
        OAuthClient? client;
        try
        {
            client = await clients.FindAsync(id, context.RequestAborted);
        }
        catch (ClientMetadataDocumentException ex)
        {
            return (null, (401, "invalid_client", ex.Message));
        }
        if (client is null)
        {
            return (null, (401, "invalid_client", "unknown client"));
        }
        if (client.Confidential)
        {
            if (!await clients.CheckSecretAsync(client, secret, context.RequestAborted))
            {
                return (null, (401, "invalid_client", "the client secret is missing or wrong"));
            }
        }
        else if (!string.IsNullOrEmpty(secret))
        {
            return (null, (401, "invalid_client", "this is a public client: it has no secret"));
        }
        return (client, null);
    }
}
