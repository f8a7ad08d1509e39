using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using MasterMcp.Configuration;
using MasterMcp.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway;

/// <summary>
/// Client sessions in Table Storage: what a session needs to continue on another instance (the client's initialize
/// parameters). The SDK asks this store when a request names a session it does not hold in memory; idle sessions expire
/// (the row carries an expiry, refreshed while the session is used).
/// </summary>
/// <remarks>
/// With the Redis backplane a session never moves: its id names its owner, requests reaching other instances are carried
/// there, and a session whose owner is gone is over (404), so migration is refused.
/// </remarks>
public sealed partial class SessionStore(IStoreFactory stores, IOptionsMonitor<GatewayOptions> options, TimeProvider time, ILogger<SessionStore> logger,
    Backends.DownstreamSessions sessions, Scaleout.RedisBackplane? backplane = null) : ISessionMigrationHandler
{
    private const string Partition = "session";

    private ITableStore Table => stores.GetTable("sessions");

    private TimeSpan IdleTimeout => options.CurrentValue.Sessions.IdleTimeout;

    /// <inheritdoc />
    public async ValueTask OnSessionInitializedAsync(HttpContext context, string sessionId, InitializeRequestParams initializeParams, CancellationToken cancellationToken)
    {
        var record = new StoredSession(JsonSerializer.Serialize(initializeParams, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(InitializeRequestParams))), time.GetUtcNow())
        {
            UserKey = Auth.GatewayUser.From(context)?.Key,
            VirtualServer = Access.CatalogAccess.RequestVirtualServer(context)?.Name,
        };
        await Table.UpsertAsync(Partition, sessionId, record, SessionJsonContext.Default.StoredSession, time.GetUtcNow() + IdleTimeout, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<InitializeRequestParams?> AllowSessionMigrationAsync(HttpContext context, string sessionId, CancellationToken cancellationToken)
    {
        if (backplane is not null)
        {
            return null;
        }
        var stored = await Table.GetAsync(Partition, sessionId, SessionJsonContext.Default.StoredSession, cancellationToken);
        if (stored is null)
        {
            return null;
        }
        if (stored.Value.UserKey != Auth.GatewayUser.From(context)?.Key)
        {
            // A session belongs to the user who created it; to anyone else it does not exist (404).
            LogForeignSession(logger, sessionId);
            return null;
        }
        if (stored.Value.VirtualServer != Access.CatalogAccess.RequestVirtualServer(context)?.Name)
        {
            // Opened at another virtual server (or /mcp): here it does not exist, never the wider catalog.
            LogOtherVirtualServer(logger, sessionId);
            return null;
        }
        LogMigrated(logger, sessionId);
        await TouchAsync(sessionId, cancellationToken, force: true);
        return (InitializeRequestParams?)JsonSerializer.Deserialize(stored.Value.InitializeParams, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(InitializeRequestParams)));
    }

    /// <summary>Extends a session's expiry; writes at most once per quarter of the idle timeout per instance.</summary>
    public async Task TouchAsync(string sessionId, CancellationToken cancellationToken, bool force = false)
    {
        var now = time.GetUtcNow();
        var session = sessions.Find(sessionId);
        if (!force && session is not null && now - session.LastStored < IdleTimeout / 4)
        {
            return;
        }
        if (session is not null)
        {
            session.LastStored = now;
        }
        var stored = await Table.GetAsync(Partition, sessionId, SessionJsonContext.Default.StoredSession, cancellationToken);
        if (stored is not null)
        {
            try
            {
                await Table.UpdateAsync(Partition, sessionId, stored.Value, stored.ETag, SessionJsonContext.Default.StoredSession, now + IdleTimeout, cancellationToken);
            }
            catch (StoreConflictException)
            {
                // Another instance refreshed it at the same moment; either expiry is fine.
            }
        }
    }

    /// <summary>Forgets a session (DELETE by the client).</summary>
    public async Task DeleteAsync(string sessionId, CancellationToken cancellationToken)
    {
        await Table.DeleteAsync(Partition, sessionId, cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} was presented by another user than the one who created it; refused")]
    private static partial void LogForeignSession(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} was presented at another virtual server than the one it was opened on; refused")]
    private static partial void LogOtherVirtualServer(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} continued on this instance from the session store")]
    private static partial void LogMigrated(ILogger logger, string sessionId);
}

/// <summary>A session row: the client's initialize parameters as JSON, and the key of the user it belongs to (null when auth is off).</summary>
public sealed record StoredSession(string InitializeParams, DateTimeOffset CreatedAt)
{
    public string? UserKey { get; init; }

    /// <summary>The virtual server the session was opened on; null for /mcp.</summary>
    public string? VirtualServer { get; init; }
}

[JsonSerializable(typeof(StoredSession))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
