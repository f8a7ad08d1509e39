using System.Collections.Concurrent;
using MasterMcp.Auth;
using MasterMcp.Backends;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Credentials;

/// <summary>
/// What the MCP side needs for backends with per-user credentials: the (user, backend) session whose HTTP handler carries
/// the user's token, and — when the user has no usable token — the URL elicitation that leads them to connect
/// (-32042 for clients that declared <c>elicitation.url</c>, a tool error with the link for older clients). After a
/// user connects, their client sessions on this instance get <c>notifications/elicitation/complete</c> and
/// <c>notifications/tools/list_changed</c>.
/// </summary>
public sealed partial class UserBackendAccess
{
    private readonly BackendRegistry _registry;
    private readonly BackendCredentials _credentials;
    private readonly TokenVault _vault;
    private readonly ConnectFlow _flow;
    private readonly IHttpMessageHandlerFactory _handlers;
    private readonly IHttpContextAccessor _http;
    private readonly ILogger<UserBackendAccess> _logger;
    private readonly DownstreamSessions _sessions;

    public UserBackendAccess(BackendRegistry registry, DownstreamSessions sessions, BackendCredentials credentials, TokenVault vault, ConnectFlow flow, IHttpMessageHandlerFactory handlers,
        IHttpContextAccessor http, ILogger<UserBackendAccess> logger)
    {
        _registry = registry;
        _sessions = sessions;
        _credentials = credentials;
        _vault = vault;
        _flow = flow;
        _handlers = handlers;
        _http = http;
        _logger = logger;
        flow.Changed += (userKey, backendId, elicitationId) => _ = NotifyAsync(userKey, backendId, elicitationId);
    }

    /// <summary>Raised when a user's connection to a backend changed (user key, backend id): their catalog must be rebuilt.</summary>
    public event Action<string, string>? UserChanged;

    /// <summary>The identity vault keys use for a gateway user.</summary>
    public static UserIdentity IdentityOf(GatewayUser user) => new(user.Issuer, user.Subject);

    /// <summary>True when the user has a stored token (or, for master_oauth, can get one by exchange) for the backend.</summary>
    public async Task<bool> IsConnectedAsync(GatewayUser user, BackendDefinition definition, CancellationToken cancellationToken) =>
        definition.AuthStrategy == "master_oauth" || await _vault.GetAsync(IdentityOf(user), definition.Id, cancellationToken) is not null;

    /// <summary>
    /// The backend session of this user; throws <see cref="ConsentRequiredException"/> when they have no usable token
    /// (so no connection is attempted without one).
    /// </summary>
    public async Task<BackendClient> SessionAsync(BackendDefinition definition, McpServer server, GatewayUser? user, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            throw new McpProtocolException($"Backend '{definition.Id}' acts with each user's own account; this request has no signed-in user.", McpErrorCode.InvalidRequest);
        }
        Track(user, server);
        var identity = IdentityOf(user);
        Func<string?>? passthrough = null;
        if (definition.AuthStrategy == "master_oauth")
        {
            if (definition.AuthConfig.AllowPassthrough)
            {
                passthrough = IncomingToken;
            }
            else
            {
                await _credentials.EnsureExchangedAsync(identity, definition, IncomingToken(), cancellationToken);
            }
        }
        else
        {
            await _credentials.GetAccessTokenAsync(identity, definition, cancellationToken);
        }
        return _registry.ForUser(definition, server, identity.StorageKey, () => new HttpClient(
            new BackendTokenHandler(_credentials, identity, definition, passthrough) { InnerHandler = _handlers.CreateHandler(BackendConnector.HttpClientName) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        });
    }

    /// <summary>
    /// The error that leads the user to connect: <see cref="UrlElicitationRequiredException"/> for clients that support URL
    /// elicitation, else <see cref="ConnectLinkException"/> (a tool error result with the link).
    /// </summary>
    public async Task<Exception> ConsentRequiredAsync(BackendDefinition definition, McpServer server, GatewayUser user, string reason, CancellationToken cancellationToken)
    {
        await _registry.EndUserSessionsAsync(definition.Id, IdentityOf(user).StorageKey);
        var (url, elicitationId) = await _flow.CreateLinkAsync(IdentityOf(user), definition.Id, cancellationToken);
        var message = $"Connect your account for '{definition.Id}' to continue ({reason}). Open the link, sign in and allow access, then try again.";
        LogConsentRequired(_logger, definition.Id, reason);
        if (server.ClientCapabilities?.Elicitation?.Url is not null)
        {
            return new UrlElicitationRequiredException(message,
                [new ElicitRequestParams { Mode = "url", Url = url, Message = message, ElicitationId = elicitationId }]);
        }
        return new ConnectLinkException(message + " Link (valid 10 minutes, for you only): " + url);
    }

    /// <summary>The bearer token of the current HTTP request: only ever sent to a token exchange endpoint (or, with allow_passthrough, to a backend in the gateway's own audience).</summary>
    private string? IncomingToken()
    {
        var header = _http.HttpContext?.Request.Headers.Authorization.ToString();
        return header is { Length: > 7 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    /// <summary>Remembers which user a client session belongs to, so connection changes reach exactly their sessions.</summary>
    public void Track(GatewayUser user, McpServer server) => _sessions.Track(server, user);

    private async Task NotifyAsync(string userStorageKey, string backendId, string? elicitationId)
    {
        UserChanged?.Invoke(userStorageKey, backendId);
        foreach (var server in _sessions.All.Where(s => s.User is { } u && IdentityOf(u).StorageKey == userStorageKey).Select(s => s.Server))
        {
            try
            {
                if (elicitationId is not null && server.ClientCapabilities?.Elicitation?.Url is not null)
                {
                    await server.SendNotificationAsync(NotificationMethods.ElicitationCompleteNotification, new ElicitationCompleteNotificationParams { ElicitationId = elicitationId });
                }
                await server.SendNotificationAsync(NotificationMethods.ToolListChangedNotification);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException)
            {
                // That session is gone; the SDK ends it, which removes it.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {BackendId} needs the user to connect: {Reason}")]
    private static partial void LogConsentRequired(ILogger logger, string backendId, string reason);
}
