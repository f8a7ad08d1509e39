using MasterMcp.Audit;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Gateway.Search;
using MasterMcp.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MasterMcp.Gateway;

/// <summary>
/// The MCP server side of the gateway: lists come from the <see cref="Catalog"/>, and every call is routed to the backend
/// that owns the public name, under its original name. Backend errors keep their JSON-RPC code, message and data; a tool
/// error stays a tool result.
/// </summary>
public sealed partial class GatewayHandlers(Catalog catalog, Access.CatalogAccess access, BackendRegistry registry, BackendRequestTracker tracker, ProgressRelay progress, MrtrBridge bridge, UserBackendAccess userAccess,
    IOptionsMonitor<GatewayOptions> options, AuditTrail audit, ILogger<GatewayHandlers> logger)
{
    private long _nextRequestId;

    public async ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> context, CancellationToken cancellationToken)
    {
        registry.Track(context.Server, Auth.GatewayUser.FromPrincipal(context.User));
        var view = await access.ViewAsync(context, cancellationToken);
        return new ListToolsResult { Tools = ToolSearch.ListTools(view.VirtualServer?.ToolExposure ?? options.CurrentValue.ToolExposure, view.Tools) };
    }

    public async ValueTask<ListPromptsResult> ListPromptsAsync(RequestContext<ListPromptsRequestParams> context, CancellationToken cancellationToken)
    {
        registry.Track(context.Server, Auth.GatewayUser.FromPrincipal(context.User));
        var view = await access.ViewAsync(context, cancellationToken);
        return new ListPromptsResult { Prompts = [.. view.Prompts.Select(p => p.Prompt)] };
    }

    public async ValueTask<ListResourcesResult> ListResourcesAsync(RequestContext<ListResourcesRequestParams> context, CancellationToken cancellationToken)
    {
        registry.Track(context.Server, Auth.GatewayUser.FromPrincipal(context.User));
        var view = await access.ViewAsync(context, cancellationToken);
        return new ListResourcesResult { Resources = [.. view.Resources.Select(r => r.Resource)] };
    }

    public async ValueTask<ListResourceTemplatesResult> ListResourceTemplatesAsync(RequestContext<ListResourceTemplatesRequestParams> context, CancellationToken cancellationToken)
    {
        registry.Track(context.Server, Auth.GatewayUser.FromPrincipal(context.User));
        var view = await access.ViewAsync(context, cancellationToken);
        return new ListResourceTemplatesResult { ResourceTemplates = [.. view.Templates.Select(t => t.Template)] };
    }

    public async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        var request = context.Params;
        var scope = audit.Begin(AuditAction.ToolCall, GatewayUser.FromPrincipal(context.User), request?.Name, () => AuditRedactor.Arguments(request?.Arguments));
        return await AuditedAsync(scope, () => CallToolAsync(context, scope, cancellationToken), result => result.IsError == true);
    }

    /// <summary>Runs a routed request and ends its audit event exactly once: ok, a tool error result, or the exception.</summary>
    private static async ValueTask<T> AuditedAsync<T>(AuditScope scope, Func<ValueTask<T>> run, Func<T, bool>? isToolError = null)
    {
        try
        {
            var result = await run();
            if (isToolError?.Invoke(result) == true)
            {
                scope.ToolError();
            }
            else
            {
                scope.Ok();
            }
            return result;
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            throw;
        }
    }

    private async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> context, AuditScope scope, CancellationToken cancellationToken)
    {
        if (context.Params is not { } request)
        {
            scope.Refuse("no params");
            throw new McpProtocolException("tools/call needs params", McpErrorCode.InvalidParams);
        }
        // A 2026-07-28 client's retry of a bridged call: its answers go to the waiting backend request.
        if (bridge.TryResume<CallToolResult>(request.RequestState, Auth.GatewayUser.FromPrincipal(context.User)?.Key, request.InputResponses, cancellationToken, out var resumed))
        {
            return await resumed;
        }
        if (ToolSearch.Handles(access.ToolExposureOf(context.Server) ?? options.CurrentValue.ToolExposure, request.Name))
        {
            // search_tools ranks what this session may see; call_tool's inner call takes the same path as a direct one.
            var visible = await access.ViewAsync(context, cancellationToken);
            return await ToolSearch.CallAsync(request, visible.Tools, (inner, token) => new ValueTask<CallToolResult>(RouteToolCallAsync(context, scope, inner, token)), cancellationToken);
        }
        return await RouteToolCallAsync(context, scope, request, cancellationToken);
    }

    /// <summary>An ordinary tools/call: the owner of the public name gets the call under the tool's original name.</summary>
    private async Task<CallToolResult> RouteToolCallAsync(RequestContext<CallToolRequestParams> context, AuditScope scope, CallToolRequestParams request, CancellationToken cancellationToken)
    {
        var view = await access.ViewAsync(context, cancellationToken);
        var tool = view.FindTool(request.Name);
        if (tool is null && catalog.ForgetFailures())
        {
            // A backend missing from the catalog may own this name and be back by now: look once more before refusing.
            view = await access.ViewAsync(context, cancellationToken);
            tool = view.FindTool(request.Name);
        }
        try
        {
            if (tool is null)
            {
                // A name of a per-user backend the user has not connected yet is not listed: lead them to connect.
                var unconnected = catalog.FindUserBackendByPrefix(request.Name) is { } byPrefix && view.Allows(Access.CatalogItemKind.Tool, request.Name, byPrefix.Id) ? byPrefix : null;
                if (unconnected is null)
                {
                    scope.Refuse("unknown tool");
                    throw new McpProtocolException($"Unknown tool: '{request.Name}'", McpErrorCode.InvalidParams);
                }
                scope.Target(unconnected.Id, null);
                await OnBackendAsync(unconnected, context.Server, context.User, request.Meta, (_, _, _) => Task.FromResult(true), cancellationToken);
                scope.Refuse("unknown tool");
                throw new McpProtocolException($"Unknown tool: '{request.Name}'", McpErrorCode.InvalidParams);
            }
            scope.Target(tool.BackendId, tool.OriginalName);
            return await CallListedToolAsync(context, request, tool, cancellationToken);
        }
        catch (ConnectLinkException ex)
        {
            // Clients without URL elicitation get the link as a tool error they can show.
            scope.Refused("not connected: the user must connect their account");
            return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = ex.Message }] };
        }
    }

    private async Task<CallToolResult> CallListedToolAsync(RequestContext<CallToolRequestParams> context, CallToolRequestParams request, CatalogTool tool, CancellationToken cancellationToken)
    {
        var definition = Owner(tool.BackendId);
        Task<CallToolResult> Call(CancellationToken token) => OnBackendAsync(definition, context.Server, context.User, request.Meta, (client, meta, id) => Send<CallToolRequestParams, CallToolResult>(client, RequestMethods.ToolsCall,
            new CallToolRequestParams { Name = tool.OriginalName, Arguments = request.Arguments, Meta = meta }, id, token), token);
        var result = await GatewayTelemetry.RouteAsync(definition.Id, RequestMethods.ToolsCall, request.Name, tool.OriginalName, () => MrtrBridge.Applies(context.Server)
            ? bridge.StartAsync(context.Server, Auth.GatewayUser.FromPrincipal(context.User)?.Key, Call, cancellationToken)
            : Call(cancellationToken));
        // Rewriting goes through JSON; most results hold no resource references, so skip it for them (the hot path).
        return HasResourceReferences(result.Content) ? ProtocolJson.RewriteUris(result, definition.Prefix) : result;
    }

    public async ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> context, CancellationToken cancellationToken)
    {
        var request = context.Params;
        var scope = audit.Begin(AuditAction.PromptGet, GatewayUser.FromPrincipal(context.User), request?.Name, () => AuditRedactor.Arguments(request?.Arguments));
        return await AuditedAsync(scope, () => GetPromptAsync(context, scope, cancellationToken));
    }

    private async ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> context, AuditScope scope, CancellationToken cancellationToken)
    {
        if (context.Params is not { } request)
        {
            scope.Refuse("no params");
            throw new McpProtocolException("prompts/get needs params", McpErrorCode.InvalidParams);
        }
        var view = await access.ViewAsync(context, cancellationToken);
        var prompt = view.FindPrompt(request.Name);
        if (prompt is null)
        {
            scope.Refuse("unknown prompt");
            throw new McpProtocolException($"Unknown prompt: '{request.Name}'", McpErrorCode.InvalidParams);
        }
        scope.Target(prompt.BackendId, prompt.OriginalName);
        var definition = Owner(prompt.BackendId);
        var result = await GatewayTelemetry.RouteAsync(definition.Id, RequestMethods.PromptsGet, request.Name, prompt.OriginalName, () => OnBackendAsync(definition, context.Server, context.User, request.Meta, (client, meta, id) => Send<GetPromptRequestParams, GetPromptResult>(client, RequestMethods.PromptsGet,
            new GetPromptRequestParams { Name = prompt.OriginalName, Arguments = request.Arguments, Meta = meta }, id, cancellationToken), cancellationToken));
        return result.Messages.Any(m => HasResourceReferences([m.Content])) ? ProtocolJson.RewriteUris(result, definition.Prefix) : result;
    }

    public async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> context, CancellationToken cancellationToken)
    {
        var scope = audit.Begin(AuditAction.ResourceRead, GatewayUser.FromPrincipal(context.User), context.Params?.Uri);
        return await AuditedAsync(scope, () => ReadResourceAsync(context, scope, cancellationToken));
    }

    private async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> context, AuditScope scope, CancellationToken cancellationToken)
    {
        if (context.Params is not { } request)
        {
            scope.Refuse("no params");
            throw new McpProtocolException("resources/read needs params", McpErrorCode.InvalidParams);
        }
        var view = await access.ViewAsync(context, cancellationToken);
        if (ResolveUri(view, request.Uri) is not { } resolved)
        {
            scope.Refuse("unknown resource");
            throw new McpProtocolException($"Unknown resource: '{request.Uri}'", McpErrorCode.ResourceNotFound);
        }
        var (definition, originalUri) = resolved;
        scope.Target(definition.Id, originalUri);
        var result = await GatewayTelemetry.RouteAsync(definition.Id, RequestMethods.ResourcesRead, request.Uri, originalUri, () => OnBackendAsync(definition, context.Server, context.User, request.Meta, (client, meta, id) => Send<ReadResourceRequestParams, ReadResourceResult>(client, RequestMethods.ResourcesRead,
            new ReadResourceRequestParams { Uri = originalUri, Meta = meta }, id, cancellationToken), cancellationToken));
        if (definition.Prefix.Length == 0)
        {
            return result;
        }
        var node = ProtocolJson.ToNode(result);
        if (node["contents"] is System.Text.Json.Nodes.JsonArray contents)
        {
            foreach (var item in contents.OfType<System.Text.Json.Nodes.JsonObject>())
            {
                if (item["uri"] is System.Text.Json.Nodes.JsonValue uri)
                {
                    item["uri"] = ResourceUris.ToPublic(definition.Prefix, uri.GetValue<string>());
                }
            }
        }
        return ProtocolJson.FromNode<ReadResourceResult>(node);
    }

    public async ValueTask<CompleteResult> CompleteAsync(RequestContext<CompleteRequestParams> context, CancellationToken cancellationToken)
    {
        var request = context.Params ?? throw new McpProtocolException("completion/complete needs params", McpErrorCode.InvalidParams);
        var view = await access.ViewAsync(context, cancellationToken);
        BackendDefinition definition;
        Reference reference;
        switch (request.Ref)
        {
            case PromptReference promptRef:
                var prompt = view.FindPrompt(promptRef.Name) ?? throw new McpProtocolException($"Unknown prompt: '{promptRef.Name}'", McpErrorCode.InvalidParams);
                definition = Owner(prompt.BackendId);
                reference = new PromptReference { Name = prompt.OriginalName, Title = promptRef.Title };
                break;
            case ResourceTemplateReference resourceRef:
                var uri = resourceRef.Uri ?? "";
                if (view.FindTemplate(uri) is { } template)
                {
                    definition = Owner(template.BackendId);
                    reference = new ResourceTemplateReference { Uri = template.OriginalUriTemplate };
                }
                else
                {
                    var resolved = ResolveUri(view, uri) ?? throw new McpProtocolException($"Unknown resource template: '{uri}'", McpErrorCode.InvalidParams);
                    definition = resolved.Definition;
                    reference = new ResourceTemplateReference { Uri = resolved.OriginalUri };
                }
                break;
            default:
                throw new McpProtocolException($"Unknown completion reference type: '{request.Ref?.Type}'", McpErrorCode.InvalidParams);
        }
        return await OnBackendAsync(definition, context.Server, context.User, request.Meta, (client, meta, id) => Send<CompleteRequestParams, CompleteResult>(client, RequestMethods.CompletionComplete,
            new CompleteRequestParams { Ref = reference, Argument = request.Argument, Context = request.Context, Meta = meta }, id, cancellationToken), cancellationToken);
    }

    public ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> context, CancellationToken cancellationToken) =>
        ForwardSubscriptionAsync(context, RequestMethods.ResourcesSubscribe, context.Params?.Uri, (uri, meta) => new SubscribeRequestParams { Uri = uri, Meta = meta }, cancellationToken);

    public ValueTask<EmptyResult> UnsubscribeAsync(RequestContext<UnsubscribeRequestParams> context, CancellationToken cancellationToken) =>
        ForwardSubscriptionAsync(context, RequestMethods.ResourcesUnsubscribe, context.Params?.Uri, (uri, meta) => new UnsubscribeRequestParams { Uri = uri, Meta = meta }, cancellationToken);

    /// <summary>resources/subscribe and unsubscribe: the owning backend gets the original URI on the client's session.</summary>
    private async ValueTask<EmptyResult> ForwardSubscriptionAsync<TParams>(RequestContext<TParams> context, string method, string? uri,
        Func<string, System.Text.Json.Nodes.JsonObject?, TParams> parameters, CancellationToken cancellationToken)
        where TParams : RequestParams
    {
        if (uri is null)
        {
            throw new McpProtocolException($"{method} needs params with a uri", McpErrorCode.InvalidParams);
        }
        var view = await access.ViewAsync(context, cancellationToken);
        var (definition, originalUri) = ResolveUri(view, uri) ?? throw new McpProtocolException($"Unknown resource: '{uri}'", McpErrorCode.ResourceNotFound);
        await OnBackendAsync(definition, context.Server, context.User, context.Params?.Meta, async (client, meta, id) =>
        {
            await Send<TParams, EmptyResult>(client, method, parameters(originalUri, meta), id, cancellationToken);
            return true;
        }, cancellationToken);
        return new EmptyResult();
    }

#pragma warning disable MCP9005 // logging/setLevel is deprecated for 2026-07-28 (SEP-2577); clients on earlier revisions still send it.
    public async ValueTask<EmptyResult> SetLoggingLevelAsync(RequestContext<SetLevelRequestParams> context, CancellationToken cancellationToken)
    {
        var request = context.Params ?? throw new McpProtocolException("logging/setLevel needs params", McpErrorCode.InvalidParams);
        registry.Track(context.Server, Auth.GatewayUser.FromPrincipal(context.User));
        // Only backends whose sessions belong to this client can deliver its log messages; tell each of them.
        var targets = registry.Definitions.Where(d => d.SessionMode == BackendSessionMode.PerClient && !d.UsesUserCredentials && context.Server.SessionId is not null);
        await Task.WhenAll(targets.Select(async d =>
        {
            try
            {
                var client = await registry.For(d, context.Server).GetAsync(cancellationToken);
                if (client.ServerCapabilities.Logging is not null)
                {
                    await client.SetLoggingLevelAsync(new SetLevelRequestParams { Level = request.Level }, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is BackendUnavailableException or McpException or IOException or HttpRequestException)
            {
                LogSetLevelFailed(logger, d.Id, ex.Message);
            }
        }));
        return new EmptyResult();
    }
#pragma warning restore MCP9005

    private static bool HasResourceReferences(IEnumerable<ContentBlock>? content) =>
        content?.Any(c => c is ResourceLinkBlock or EmbeddedResourceBlock) == true;

    private BackendDefinition Owner(string backendId) =>
        registry.Find(backendId) ?? throw new McpProtocolException($"Backend '{backendId}' was removed from the configuration", McpErrorCode.InternalError);

    /// <summary>The backend and original URI of a public URI this session may read; null when unknown or not visible to it.</summary>
    private (BackendDefinition Definition, string OriginalUri)? ResolveUri(Access.CatalogView view, string uri) =>
        ResolveUri(view.Catalog, uri) is { } resolved && view.Allows(Access.CatalogItemKind.Resource, uri, resolved.Definition.Id) ? resolved : null;

    private (BackendDefinition Definition, string OriginalUri)? ResolveUri(CatalogSnapshot snapshot, string uri)
    {
        if (snapshot.FindResource(uri) is { } listed)
        {
            return (Owner(listed.BackendId), listed.OriginalUri);
        }
        if (ResourceUris.TryParse(uri, out var prefix, out var original))
        {
            var byPrefix = registry.Definitions.FirstOrDefault(d => string.Equals(d.Prefix, prefix, StringComparison.OrdinalIgnoreCase));
            if (byPrefix is not null)
            {
                return (byPrefix, original);
            }
        }
        // Unprefixed backends keep their URIs: pick the one whose template matches, else the only unprefixed backend.
        var unprefixed = registry.Definitions.Where(d => d.Prefix.Length == 0).ToList();
        foreach (var template in snapshot.Templates)
        {
            var literal = template.PublicUriTemplate.Split('{')[0];
            if (literal.Length > 0 && uri.StartsWith(literal, StringComparison.Ordinal) && unprefixed.Any(d => d.Id == template.BackendId))
            {
                return (Owner(template.BackendId), uri);
            }
        }
        return unprefixed.Count == 1 ? (unprefixed[0], uri) : null;
    }

    /// <summary>
    /// Runs one call on the backend session this client should use. The call is counted as pending until it ends, marked as
    /// in flight on the session's link (so the backend's requests reach this call), and its progress token is replaced by a
    /// gateway-unique one. The handler's token is the client's: a <c>notifications/cancelled</c> or a dropped request cancels it,
    /// and the SDK client then sends <c>notifications/cancelled</c> to the backend.
    /// </summary>
    private async Task<T> OnBackendAsync<T>(BackendDefinition definition, McpServer server, System.Security.Claims.ClaimsPrincipal? principal, System.Text.Json.Nodes.JsonObject? meta, Func<McpClient, System.Text.Json.Nodes.JsonObject?, RequestId, Task<T>> call, CancellationToken cancellationToken)
    {
        if (!definition.UsesUserCredentials)
        {
            return await OnBackendAsync(definition, server, registry.Lease(definition, server), meta, call, cancellationToken);
        }
        // Per-user credentials: the user's own session; no usable token leads to the consent flow (URL elicitation).
        var user = GatewayUser.FromPrincipal(principal);
        try
        {
            var session = await userAccess.SessionAsync(definition, server, user, cancellationToken);
            return await OnBackendAsync(definition, server, new BackendLease(session, session.Link?.Enter(server), null), meta, call, cancellationToken);
        }
        catch (Exception ex) when (user is not null && ConsentRequiredException.Find(ex) is { } consent)
        {
            throw await userAccess.ConsentRequiredAsync(definition, server, user, consent.Reason, cancellationToken);
        }
    }

    private async Task<T> OnBackendAsync<T>(BackendDefinition definition, McpServer server, BackendLease backendLease, System.Text.Json.Nodes.JsonObject? meta, Func<McpClient, System.Text.Json.Nodes.JsonObject?, RequestId, Task<T>> call, CancellationToken cancellationToken)
    {
        using var pending = tracker.Begin();
        var requestId = new RequestId($"mmcp-{Interlocked.Increment(ref _nextRequestId)}");
        await using var lease = backendLease;
        var session = lease.Client;
        McpClient client;
        try
        {
            client = await session.GetAsync(cancellationToken);
        }
        catch (BackendUnavailableException ex) when (ConsentRequiredException.Find(ex) is null)
        {
            // The inner exception is not sent to the client; it tells the audit trail the call was refused, not failed.
            throw new McpProtocolException(ex.Message, ex, McpErrorCode.InternalError);
        }
        var (backendMeta, progressRoute) = progress.Map(meta, server);
        using (progressRoute)
        {
            try
            {
                var result = await call(client, backendMeta, requestId);
                if (progressRoute is not null)
                {
                    await progressRoute.DrainAsync();
                }
                return result;
            }
            catch (McpProtocolException)
            {
                throw;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The SDK client stops waiting but does not tell the backend; tell it, so it stops working for nobody.
                pending.MarkCancelled();
                await NotifyCancelledAsync(client, requestId);
                throw;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException && ConsentRequiredException.Find(ex) is null)
            {
                var reason = BackendClient.Describe(ex);
                await session.ResetAsync(reason);
                throw new McpProtocolException($"Backend '{definition.Id}' failed: {reason}", McpErrorCode.InternalError);
            }
        }
    }

    private static Task<TResult> Send<TParams, TResult>(McpClient client, string method, TParams parameters, RequestId id, CancellationToken cancellationToken)
        where TResult : notnull =>
        client.SendRequestAsync<TParams, TResult>(method, parameters, McpJsonUtilities.DefaultOptions, id, cancellationToken).AsTask();

    private async Task NotifyCancelledAsync(McpClient client, RequestId requestId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.SendNotificationAsync(NotificationMethods.CancelledNotification,
                new CancelledNotificationParams { RequestId = requestId, Reason = "The client cancelled the request." }, McpJsonUtilities.DefaultOptions, deadline.Token);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            LogCancelNotSent(logger, requestId.ToString(), ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "notifications/cancelled for backend request {RequestId} not sent: {Reason}")]
    private static partial void LogCancelNotSent(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "logging/setLevel not forwarded to backend {BackendId}: {Reason}")]
    private static partial void LogSetLevelFailed(ILogger logger, string backendId, string reason);
}
