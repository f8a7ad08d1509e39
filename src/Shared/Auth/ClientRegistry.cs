using MasterMcp.Secrets;
using MasterMcp.Storage;

namespace MasterMcp.Auth;

/// <summary>Finds clients: configured ones, dynamically registered ones (Table Storage), and metadata-document ones (fetched).</summary>
public sealed class ClientRegistry(AuthSettingsProvider settings, AuthStore store, ClientMetadataDocuments documents, ISecretResolver secrets, Admin.OverrideState? overrides = null)
{
    /// <summary>The client, or null when it is unknown. Throws <see cref="ClientMetadataDocumentException"/> when its document is unusable.</summary>
    public async Task<OAuthClient?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        if (clientId.Length is 0 or > 2048 || overrides?.IsClientDeleted(clientId) == true)
        {
            // A client an admin deleted is unknown until restored, whether configured, registered or a metadata document.
            return null;
        }
        var configured = settings.Current.Auth.Clients.FirstOrDefault(c => c.ClientId == clientId);
        if (configured is not null)
        {
            return new OAuthClient(configured.ClientId, configured.ClientName, configured.RedirectUris, OAuthClientKind.Configured, configured.Scopes)
            {
                SecretReference = configured.ClientSecret,
            };
        }
        if (ClientMetadataDocuments.IsMetadataDocumentUrl(clientId))
        {
            return await documents.GetAsync(clientId, cancellationToken);
        }
        var registered = await store.GetAsync(AuthStore.Clients, clientId, AuthJsonContext.Default.RegisteredClient, cancellationToken);
        if (registered is null)
        {
            return null;
        }
        var r = registered.Value;
        return new OAuthClient(r.ClientId, r.ClientName, r.RedirectUris, OAuthClientKind.Dynamic, r.Scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            SecretHash = r.SecretHash,
        };
    }

    /// <summary>
    /// A token was issued to <paramref name="client"/>: a dynamic registration stops expiring (auth.registration.unused_lifetime_hours
    /// only forgets registrations that were never used).
    /// </summary>
    public async Task MarkUsedAsync(OAuthClient client, CancellationToken cancellationToken)
    {
        if (client.Kind != OAuthClientKind.Dynamic)
        {
            return;
        }
        var row = await store.GetAsync(AuthStore.Clients, client.ClientId, AuthJsonContext.Default.RegisteredClient, cancellationToken);
        if (row?.ExpiresAt is null)
        {
            return;
        }
        try
        {
            await store.Table.UpdateAsync(AuthStore.Clients, client.ClientId, row.Value, row.ETag, AuthJsonContext.Default.RegisteredClient, null, cancellationToken);
        }
        catch (StoreConflictException)
        {
            // Another redemption cleared it meanwhile.
        }
    }

    /// <summary>True when <paramref name="secret"/> is the client's secret.</summary>
    public async Task<bool> CheckSecretAsync(OAuthClient client, string? secret, CancellationToken cancellationToken)
    {
        if (secret is null)
        {
            return false;
        }
        if (client.SecretHash is not null)
        {
            return TokenCrypto.FixedEquals(TokenCrypto.Hash(secret), client.SecretHash);
        }
        if (client.SecretReference is not null)
        {
            var expected = await secrets.ResolveAsync(client.SecretReference, $"auth.clients[{client.ClientId}].client_secret", cancellationToken);
            return TokenCrypto.FixedEquals(secret, expected);
        }
        return false;
    }
}
