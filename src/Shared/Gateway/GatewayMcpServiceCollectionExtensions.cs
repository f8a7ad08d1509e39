using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Hosting;
using MasterMcp.Storage;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Gateway;

/// <summary>Registers the MCP server side (SDK transport and our handlers) and the backend side.</summary>
public static class GatewayMcpServiceCollectionExtensions
{
    /// <summary>Adds the aggregating MCP server at /mcp and everything it routes to.</summary>
    public static IServiceCollection AddMcpGateway(this IServiceCollection services, GatewayOptions options)
    {
        services.AddHttpClient(BackendConnector.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            // Every backend session holds its own connections (a GET stream and its POSTs); once sessions end, their
            // connections sit idle in the pool. Let them go after 4 s instead of the default minute: a client must drop an
            // idle connection before the server does, and Node's http server and uvicorn (most TypeScript and Python MCP
            // servers) close idle keep-alive connections after 5 s — a request sent on one they are closing fails with
            // "An error occurred while sending the request" (seen with server-everything over HTTP under load).
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4) });
        services.AddSingleton<BackendConnector>();
        services.AddSingleton<MrtrBridge>();
        services.AddSingleton<DownstreamSessions>();
        services.AddSingleton<BackendRegistry>();
        services.AddSingleton<BackendRequestTracker>();
        services.AddSingleton<ProgressRelay>();
        services.AddSingleton<Catalog>();
        services.AddSingleton<Access.CatalogAccess>();
        services.AddSingleton<GatewayHandlers>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<Limits.UserSlots>();
        services.AddHostedService(sp => sp.GetRequiredService<Limits.UserSlots>());
        services.AddSingleton<ISessionMigrationHandler>(sp => sp.GetRequiredService<SessionStore>());
        services.AddHealthChecks().AddCheck<BackendsHealthCheck>(BackendsHealthCheck.Name, timeout: ReadyEndpoint.CheckTimeout);
        services.AddHostedService<GatewayBackgroundService>();
        services.AddRouting();
        // Priming events, retry and Last-Event-ID resumption (2025-11-25 SSE polling), kept by the session's owner; the
        // SDK's transport takes the store from DI.
        services.AddSingleton<SessionEventStreams>();
#pragma warning disable MCP9006 // The event store serves stateful (2025-11-25 and earlier) sessions, which the gateway must keep serving.
        services.AddSingleton<ISseEventStreamStore>(sp => sp.GetRequiredService<SessionEventStreams>());
#pragma warning restore MCP9006

        var mcp = services.AddMcpServer(server =>
            {
                server.ServerInfo = new Implementation { Name = ProductInfo.Name, Title = "Master MCP Server", Version = ProductInfo.Version };
                server.Capabilities = new ServerCapabilities
                {
                    Tools = new ToolsCapability { ListChanged = true },
                    Prompts = new PromptsCapability { ListChanged = true },
                    Resources = new ResourcesCapability { ListChanged = true, Subscribe = true },
                    Completions = new CompletionsCapability(),
#pragma warning disable MCP9005 // Logging is deprecated for 2026-07-28 (SEP-2577); clients on earlier revisions use it.
                    Logging = new LoggingCapability(),
#pragma warning restore MCP9005
                };
            })
            .WithHttpTransport(transport =>
            {
                transport.SessionMode = HttpServerSessionMode.StatefulForInitializeClients;
#pragma warning disable MCP9006 // Stateful sessions are back-compat-only in the SDK; clients that initialize (2025-11-25 and earlier) need them.
                transport.IdleTimeout = options.Sessions.IdleTimeout;
#pragma warning restore MCP9006
                // A session opened on /mcp/{name} introduces itself as that virtual server and stays bound to it.
                transport.ConfigureSessionOptions = (context, serverOptions, _) =>
                {
                    context.RequestServices.GetRequiredService<Access.CatalogAccess>().ConfigureSession(context, serverOptions);
                    return Task.CompletedTask;
                };
#pragma warning disable MCPEXP002 // RunSessionHandler is experimental; it is the only hook that sees a session end.
                transport.RunSessionHandler = async (context, server, cancellationToken) =>
                {
                    var registry = context.RequestServices.GetRequiredService<BackendRegistry>();
                    // The session's one object: created here, disposed when the SDK ends the session (DELETE, idle, shutdown).
                    // (Stateless requests of 2026-07-28 clients run here too, without a session.)
                    if (server.SessionId is not null)
                    {
                        var user = Auth.GatewayUser.From(context);
                        // The slot McpEndpoint reserved for this initialize under sessions.max_sessions_per_user, now the session's.
                        // A session continued here from the store (single instance mode) was counted where it began: count it here too.
                        var slot = context.Items[McpEndpoint.SessionSlotItem] as Limits.UserSlot;
                        if (slot is not null)
                        {
                            slot.Adopted = true;
                        }
                        else if (user is not null && context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<GatewayOptions>>().CurrentValue.Sessions.MaxSessionsPerUser > 0)
                        {
                            slot = context.RequestServices.GetRequiredService<Limits.UserSlots>().TakeHere(Limits.SlotKind.Session, user.Key);
                        }
                        context.RequestServices.GetRequiredService<DownstreamSessions>().Begin(server, user, slot, Access.CatalogAccess.RequestVirtualServer(context)?.Name);
                    }
                    // A client's roots changed: tell each of its own backend sessions, which may ask it for roots again.
#pragma warning disable MCP9005 // Roots are deprecated for 2026-07-28 (SEP-2577); clients on earlier revisions use them.
                    await using var roots = server.RegisterNotificationHandler(NotificationMethods.RootsListChangedNotification, (notification, ct) =>
#pragma warning restore MCP9005
                        server.SessionId is { } sessionId
                            ? new ValueTask(registry.ForwardToBackendsAsync(sessionId, notification.Method, notification.Params, ct))
                            : ValueTask.CompletedTask);
                    try
                    {
                        await server.RunAsync(cancellationToken);
                    }
                    finally
                    {
                        if (server.SessionId is { } id)
                        {
                            await registry.EndSessionAsync(id);
                        }
                    }
                };
#pragma warning restore MCPEXP002
            })
            .WithMessageFilters(filters => filters.AddIncomingFilter(StorageErrorsAsJsonRpc))
            .WithRequestFilters(filters => filters.AddCallToolFilter(StorageErrorsInToolResults))
            .WithListToolsHandler((c, ct) => Handlers(c).ListToolsAsync(c, ct))
            .WithCallToolHandler((c, ct) => Handlers(c).CallToolAsync(c, ct))
            .WithListPromptsHandler((c, ct) => Handlers(c).ListPromptsAsync(c, ct))
            .WithGetPromptHandler((c, ct) => Handlers(c).GetPromptAsync(c, ct))
            .WithListResourcesHandler((c, ct) => Handlers(c).ListResourcesAsync(c, ct))
            .WithListResourceTemplatesHandler((c, ct) => Handlers(c).ListResourceTemplatesAsync(c, ct))
            .WithReadResourceHandler((c, ct) => Handlers(c).ReadResourceAsync(c, ct))
            .WithCompleteHandler((c, ct) => Handlers(c).CompleteAsync(c, ct))
            .WithSubscribeToResourcesHandler((c, ct) => Handlers(c).SubscribeAsync(c, ct))
            .WithUnsubscribeFromResourcesHandler((c, ct) => Handlers(c).UnsubscribeAsync(c, ct));
#pragma warning disable MCP9005 // logging/setLevel is deprecated for 2026-07-28 (SEP-2577); clients on earlier revisions send it.
        mcp.WithSetLoggingLevelHandler((c, ct) => Handlers(c).SetLoggingLevelAsync(c, ct));
#pragma warning restore MCP9005
        return services;
    }

    /// <summary>
    /// A request whose handler needs storage while it is down gets a JSON-RPC error naming storage instead of the SDK's
    /// generic "An error occurred." (its HTTP status is already sent when the answer travels on an open stream).
    /// </summary>
    internal static McpMessageHandler StorageErrorsAsJsonRpc(McpMessageHandler next) => async (context, cancellationToken) =>
    {
        try
        {
            await next(context, cancellationToken);
        }
        catch (Exception ex) when (ExceptionChain.Find<StorageUnavailableException>(ex) is not null)
        {
            throw new McpProtocolException(StorageUnavailableException.PublicMessage, ex, McpErrorCode.InternalError);
        }
    };

    /// <summary>
    /// The SDK turns any exception of a tool call into an isError result saying only "An error occurred invoking 'x'."
    /// (before message filters see it); an <see cref="McpException"/> keeps its message there, so the result names storage.
    /// </summary>
    internal static McpRequestHandler<CallToolRequestParams, CallToolResult> StorageErrorsInToolResults(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            try
            {
                return await next(request, cancellationToken);
            }
            catch (Exception ex) when (ExceptionChain.Find<StorageUnavailableException>(ex) is not null)
            {
                throw new McpException(StorageUnavailableException.PublicMessage, ex);
            }
        };

    private static GatewayHandlers Handlers<T>(RequestContext<T> context) =>
        context.Services!.GetRequiredService<GatewayHandlers>();
}
