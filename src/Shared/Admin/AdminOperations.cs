using System.Diagnostics;
using System.Text.Json.Nodes;
using MasterMcp.Audit;
using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Configuration;
using MasterMcp.Credentials;
using MasterMcp.Gateway;
using MasterMcp.Gateway.Access;
using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Admin;

/// <summary>
/// What the admin API and console do, once: read the gateway's state as JSON and make runtime changes (each one an audit
/// event). Bad input is a <see cref="GatewayHttpException"/> (400/404/409) whose message names the problem.
/// </summary>
public sealed class AdminOperations(GatewayConfigMonitor config, BackendRegistry registry, Catalog catalog, CatalogAccess access, RuntimeOverrides overrides,
    TokenVault vault, AuthStore authStore, AuthSettingsProvider authSettings, InstanceReports instances, RecentErrors errors, AuditTrail audit, TimeProvider time)
{
    /// <summary>Every configured backend with its state (<c>disabled</c> when an admin switched it off), last error, ping latency and tool count.</summary>
    public async Task<JsonObject> BackendsAsync(CancellationToken cancellationToken)
    {
        var snapshot = await catalog.GetAsync(cancellationToken);
        var statuses = snapshot.Backends.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var disabled = overrides.Current.DisabledBackends;
        var configured = config.Snapshot.Backends;
        var latencies = await Task.WhenAll(configured.Select(d => disabled.ContainsKey(d.Id) || d.UsesUserCredentials ? Task.FromResult<double?>(null) : PingAsync(d, cancellationToken)));
        var list = new JsonArray();
        for (var i = 0; i < configured.Count; i++)
        {
            var d = configured[i];
            var status = statuses.GetValueOrDefault(d.Id);
            var item = new JsonObject
            {
                ["id"] = d.Id,
                ["transport"] = d.Kind == BackendKind.Http ? d.Transport : "stdio",
                ["per_user"] = d.UsesUserCredentials,
            };
            if (disabled.TryGetValue(d.Id, out var record))
            {
                item["state"] = "disabled";
                item["override"] = Describe(record);
            }
            else
            {
                var state = registry.SharedState(d.Id) ?? status?.State ?? BackendState.NotConnected;
                item["state"] = StateName(status?.State == BackendState.Failed ? BackendState.Failed : state);
                item["last_error"] = status?.LastError ?? registry.Shared(d).LastError;
                item["latency_ms"] = latencies[i] is { } ms ? Math.Round(ms, 1) : null;
                item["tools"] = status?.Tools;
                item["prompts"] = status?.Prompts;
                item["resources"] = status?.Resources;
            }
            list.Add(item);
        }
        return new JsonObject { ["backends"] = list };
    }

    /// <summary>Switches a configured backend off (<paramref name="enabled"/> false) or clears that override.</summary>
    public async Task<JsonObject> SetBackendEnabledAsync(AdminCaller caller, string backendId, bool enabled, CancellationToken cancellationToken)
    {
        var definition = Configured(backendId);
        if (enabled)
        {
            var cleared = await overrides.ClearAsync(OverrideKind.BackendDisabled, definition.Id, cancellationToken);
            Audit(caller, "backend.enable", definition.Id, cleared ? null : "it was not disabled");
            return new JsonObject { ["id"] = definition.Id, ["state"] = "enabled", ["changed"] = cleared };
        }
        var already = overrides.Current.DisabledBackends.ContainsKey(definition.Id);
        await overrides.SetAsync(new OverrideRecord(OverrideKind.BackendDisabled, definition.Id, caller.Subject, time.GetUtcNow()), cancellationToken);
        Audit(caller, "backend.disable", definition.Id, already ? "it was disabled already" : null);
        return new JsonObject { ["id"] = definition.Id, ["state"] = "disabled", ["changed"] = !already };
    }

    /// <summary>Closes and reopens this instance's shared session of a backend, and asks the other instances to do the same.</summary>
    public async Task<JsonObject> ReconnectAsync(AdminCaller caller, string backendId, CancellationToken cancellationToken)
    {
        var definition = Configured(backendId);
        if (overrides.Current.DisabledBackends.ContainsKey(definition.Id))
        {
            throw new GatewayHttpException(StatusCodes.Status409Conflict, "backend_disabled", $"Backend '{definition.Id}' is disabled; enable it instead of reconnecting it.");
        }
        await registry.ReconnectAsync(definition.Id);
        var announced = await overrides.AnnounceReconnectAsync(definition.Id);
        var active = registry.Find(definition.Id) ?? definition;
        var latency = await PingAsync(active, cancellationToken);
        Audit(caller, "backend.reconnect", definition.Id, null);
        return new JsonObject
        {
            ["id"] = definition.Id,
            ["state"] = StateName(registry.SharedState(definition.Id) ?? BackendState.NotConnected),
            ["last_error"] = registry.Shared(active).LastError,
            ["latency_ms"] = latency is { } ms ? Math.Round(ms, 1) : null,
            // Without the backplane (or while Redis is down) only this instance reconnected.
            ["instances"] = announced ? "all" : "this",
        };
    }

    /// <summary>The aggregated catalog: every item with its owning backend and original name, and the name collisions.</summary>
    public async Task<JsonObject> CatalogAsync(CancellationToken cancellationToken)
    {
        var snapshot = await catalog.GetAsync(cancellationToken);
        return new JsonObject
        {
            ["tools"] = Items(snapshot.Tools.Select(t => (t.PublicName, t.BackendId, t.OriginalName))),
            ["prompts"] = Items(snapshot.Prompts.Select(p => (p.PublicName, p.BackendId, p.OriginalName))),
            ["resources"] = Items(snapshot.Resources.Select(r => (r.PublicUri, r.BackendId, r.OriginalUri))),
            ["resource_templates"] = Items(snapshot.Templates.Select(t => (t.PublicUriTemplate, t.BackendId, t.OriginalUriTemplate))),
            ["collisions"] = new JsonArray([.. snapshot.Collisions.Select(c => (JsonNode)new JsonObject
            {
                ["kind"] = c.Kind,
                ["name"] = c.Name,
                ["kept_backend"] = c.KeptBackend,
                ["skipped_backend"] = c.SkippedBackend,
            })]),
        };
    }

    /// <summary>Open client sessions per instance (every instance reports through Redis; without it, this instance only).</summary>
    public async Task<JsonObject> SessionsAsync(CancellationToken cancellationToken)
    {
        var reports = await instances.ReadAsync(cancellationToken);
        return new JsonObject
        {
            ["instances"] = new JsonArray([.. reports.Select(r => (JsonNode)new JsonObject
            {
                ["instance"] = r.Instance,
                ["sessions"] = r.Sessions,
                ["reported_at"] = r.At,
                ["this_instance"] = r.Instance == instances.ThisInstance,
            })]),
            ["total"] = reports.Sum(r => r.Sessions),
            ["source"] = instances.Shared ? "redis" : "this_instance",
        };
    }

    /// <summary>The backends a user has connected (stored credentials exist); never the tokens themselves.</summary>
    public async Task<JsonObject> ConnectionsAsync(string subject, string? issuer, CancellationToken cancellationToken)
    {
        var user = User(subject, issuer);
        var connected = await vault.BackendsOfAsync(user, cancellationToken);
        return new JsonObject
        {
            ["subject"] = user.Subject,
            ["issuer"] = user.Issuer,
            ["connections"] = new JsonArray([.. connected.Order(StringComparer.Ordinal).Select(id => (JsonNode)new JsonObject
            {
                ["backend"] = id,
                ["configured"] = config.Snapshot.Backends.Any(d => d.Id == id),
            })]),
        };
    }

    /// <summary>
    /// Revokes a user's connection to a backend: deletes the stored token from the vault (shared by every instance), closes
    /// the user's sessions of that backend here, and records the revocation so every other instance closes theirs too.
    /// </summary>
    public async Task<JsonObject> RevokeAsync(AdminCaller caller, string subject, string? issuer, string backendId, CancellationToken cancellationToken)
    {
        var user = User(subject, issuer);
        if (!await vault.DeleteAsync(user, backendId, cancellationToken))
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "connection_not_found", $"User '{Short(subject)}' has no stored connection to backend '{Short(backendId)}'.");
        }
        await registry.EndUserSessionsAsync(backendId, user.StorageKey);
        await overrides.SetAsync(new OverrideRecord(OverrideKind.ConnectionRevoked, backendId, caller.Subject, time.GetUtcNow()) { UserKey = user.StorageKey, Subject = user.Subject }, cancellationToken);
        audit.Record(AuditAction.Revocation, AuditOutcome.Ok, user.Subject, user.Issuer, null, backendId, "connection", "revoked by admin " + caller.Subject);
        Audit(caller, "connection.revoke", backendId, null);
        return new JsonObject { ["subject"] = user.Subject, ["backend"] = backendId, ["revoked"] = true };
    }

    /// <summary>OAuth clients: configured ones, dynamically registered ones, and those an admin deleted (an override).</summary>
    public async Task<JsonObject> ClientsAsync(CancellationToken cancellationToken)
    {
        var deleted = overrides.Current.DeletedClients;
        var list = new JsonArray();
        foreach (var c in authSettings.Current.Auth.Clients)
        {
            list.Add(Client(c.ClientId, c.ClientName, "configured", deleted));
        }
        await foreach (var row in authStore.Table.QueryPartitionAsync(AuthStore.Clients, AuthJsonContext.Default.RegisteredClient, cancellationToken))
        {
            list.Add(Client(row.Value.ClientId, row.Value.ClientName, "dynamic", deleted));
        }
        foreach (var (id, _) in deleted)
        {
            if (!list.Any(n => (string?)n!["client_id"] == id))
            {
                list.Add(Client(id, null, ClientMetadataDocuments.IsMetadataDocumentUrl(id) ? "metadata_document" : "dynamic", deleted));
            }
        }
        return new JsonObject { ["clients"] = list };
    }

    /// <summary>
    /// Deletes an OAuth client: a dynamic registration's row goes; any client id (configured or a metadata document
    /// too) is refused by the authorization server from now on, on every instance, until restored.
    /// </summary>
    public async Task<JsonObject> DeleteClientAsync(AdminCaller caller, string clientId, CancellationToken cancellationToken)
    {
        CheckClientId(clientId);
        var configured = authSettings.Current.Auth.Clients.Any(c => c.ClientId == clientId);
        var removed = await authStore.Table.DeleteAsync(AuthStore.Clients, clientId, cancellationToken: cancellationToken);
        if (!configured && !removed && !ClientMetadataDocuments.IsMetadataDocumentUrl(clientId) && !overrides.Current.DeletedClients.ContainsKey(clientId))
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "client_not_found", $"There is no OAuth client '{Short(clientId)}' (neither configured nor registered).");
        }
        await overrides.SetAsync(new OverrideRecord(OverrideKind.ClientDeleted, clientId, caller.Subject, time.GetUtcNow()), cancellationToken);
        Audit(caller, "client.delete", null, null, clientId);
        return new JsonObject { ["client_id"] = clientId, ["deleted"] = true, ["registration_removed"] = removed };
    }

    /// <summary>Clears a client deletion (configured and metadata-document clients work again; a removed registration stays removed).</summary>
    public async Task<JsonObject> RestoreClientAsync(AdminCaller caller, string clientId, CancellationToken cancellationToken)
    {
        CheckClientId(clientId);
        if (!await overrides.ClearAsync(OverrideKind.ClientDeleted, clientId, cancellationToken))
        {
            throw new GatewayHttpException(StatusCodes.Status404NotFound, "override_not_found", $"OAuth client '{Short(clientId)}' is not deleted.");
        }
        Audit(caller, "client.restore", null, null, clientId);
        return new JsonObject { ["client_id"] = clientId, ["deleted"] = false };
    }

    /// <summary>Where the configuration came from, the last reload's result, and the overrides that win over it.</summary>
    public JsonObject Config()
    {
        var current = config.Current;
        var set = overrides.Current;
        return new JsonObject
        {
            ["environment"] = current.EnvironmentName,
            ["files"] = new JsonArray([.. current.Files.Select(f => (JsonNode)f)]),
            ["reload_count"] = config.ReloadCount,
            ["last_reload"] = config.LastReloadError is null
                ? (config.LastApplyError is null ? "applied" : "applied with errors")
                : "rejected (the last good configuration stays in force)",
            ["last_reload_error"] = config.LastReloadError,
            ["last_apply_error"] = config.LastApplyError,
            ["overrides"] = new JsonObject
            {
                ["disabled_backends"] = new JsonArray([.. set.DisabledBackends.Values.Select(r => (JsonNode)Describe(r))]),
                ["deleted_clients"] = new JsonArray([.. set.DeletedClients.Values.Select(r => (JsonNode)Describe(r))]),
                ["revoked_connections"] = new JsonArray([.. set.Revocations.Select(r => (JsonNode)Describe(r))]),
                ["refresh_seconds"] = config.CurrentValue.Admin.RefreshSeconds,
                ["last_refresh"] = overrides.LastRefresh,
                ["last_refresh_error"] = overrides.LastRefreshError,
            },
        };
    }

    /// <summary>This instance's recent warnings and errors, newest first.</summary>
    public JsonObject Errors() => new()
    {
        ["capacity"] = RecentErrors.Capacity,
        ["errors"] = new JsonArray([.. errors.Snapshot().Select(e => (JsonNode)new JsonObject
        {
            ["at"] = e.At,
            ["level"] = e.Level,
            ["category"] = e.Category,
            ["message"] = e.Message,
            ["exception"] = e.Exception,
            ["trace_id"] = e.TraceId,
        })]),
    };

    /// <summary>
    /// What a user sees of the shared catalog under the policies, and for each hidden item the rule that hid it. The user
    /// is described by subject plus the scopes and claims their token would carry (policies match on those).
    /// </summary>
    public async Task<JsonObject> UserCatalogAsync(string subject, string? issuer, IReadOnlyList<string> scopes, IReadOnlyDictionary<string, IReadOnlyList<string>> claims,
        CancellationToken cancellationToken)
    {
        var identity = User(subject, issuer);
        var user = new GatewayUser(identity.Issuer, identity.Subject, scopes, null) { Claims = claims };
        var snapshot = await catalog.GetAsync(cancellationToken);
        var rules = access.Policy.For(user);
        var visible = new JsonArray();
        var hidden = new JsonArray();
        void Add(string kind, CatalogItemKind itemKind, string name, string backend)
        {
            var why = rules.WhyHidden(itemKind, name, backend);
            var item = new JsonObject { ["kind"] = kind, ["name"] = name, ["backend"] = backend };
            if (why is null)
            {
                visible.Add(item);
            }
            else
            {
                item["hidden_by"] = why;
                hidden.Add(item);
            }
        }
        foreach (var t in snapshot.Tools)
        {
            Add("tool", CatalogItemKind.Tool, t.PublicName, t.BackendId);
        }
        foreach (var p in snapshot.Prompts)
        {
            Add("prompt", CatalogItemKind.Prompt, p.PublicName, p.BackendId);
        }
        foreach (var r in snapshot.Resources)
        {
            Add("resource", CatalogItemKind.Resource, r.PublicUri, r.BackendId);
        }
        foreach (var r in snapshot.Templates)
        {
            Add("resource_template", CatalogItemKind.Resource, r.PublicUriTemplate, r.BackendId);
        }
        return new JsonObject
        {
            ["subject"] = identity.Subject,
            ["issuer"] = identity.Issuer,
            ["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]),
            ["visible"] = visible,
            ["hidden"] = hidden,
            ["note"] = "Shared backends only: backends with per-user credentials are listed through the user's own session.",
        };
    }

    /// <summary>The issuer a bare subject belongs to: jwt mode's issuer, or the gateway mode's upstream identity provider.</summary>
    public string? DefaultIssuer()
    {
        var current = authSettings.Current;
        return current.Mode switch
        {
            "jwt" => current.Auth.Jwt.Issuer,
            "gateway" => current.Auth.Upstream.Preset == "github" ? UpstreamLogin.GitHubIssuer : current.Auth.Upstream.Issuer,
            _ => null,
        };
    }

    private UserIdentity User(string subject, string? issuer)
    {
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > 1024)
        {
            throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_subject", "The subject in the path is empty or longer than 1024 characters.");
        }
        var resolved = string.IsNullOrEmpty(issuer) ? DefaultIssuer() : issuer;
        if (string.IsNullOrEmpty(resolved))
        {
            throw new GatewayHttpException(StatusCodes.Status400BadRequest, "issuer_required",
                "Which identity provider's subject is this? Add ?issuer=… (no default issuer without auth.mode jwt or gateway).");
        }
        return new UserIdentity(resolved, subject);
    }

    private BackendDefinition Configured(string backendId) =>
        config.Snapshot.Backends.FirstOrDefault(d => d.Id == backendId)
        ?? throw new GatewayHttpException(StatusCodes.Status404NotFound, "backend_not_found", $"There is no backend '{Short(backendId)}' in the configuration (servers[].id).");

    // The round trip of one ping on the shared session (connecting it first when it is not connected, e.g. after a reconnect).
    private async Task<double?> PingAsync(BackendDefinition definition, CancellationToken cancellationToken)
    {
        try
        {
            if (registry.SharedState(definition.Id) != BackendState.Connected)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(definition.Timeout);
                await registry.Shared(definition).GetAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await registry.ProbeAsync(definition, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        return registry.SharedState(definition.Id) == BackendState.Connected ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : null;
    }

    private static void CheckClientId(string clientId)
    {
        if (clientId.Length is 0 or > 2048)
        {
            throw new GatewayHttpException(StatusCodes.Status400BadRequest, "invalid_client_id", "The client id in the path is empty or longer than 2048 characters.");
        }
    }

    private void Audit(AdminCaller caller, string action, string? backend, string? note, string? clientId = null) =>
        audit.Record(AuditAction.Admin, AuditOutcome.Ok, caller.Subject, caller.Issuer, caller.ClientId, backend, clientId is null ? action : action + " " + clientId, note);

    private static JsonObject Client(string id, string? name, string kind, IReadOnlyDictionary<string, OverrideRecord> deleted)
    {
        var item = new JsonObject { ["client_id"] = id, ["client_name"] = name, ["kind"] = kind, ["deleted"] = deleted.ContainsKey(id) };
        if (deleted.TryGetValue(id, out var record))
        {
            item["override"] = Describe(record);
        }
        return item;
    }

    private static JsonObject Describe(OverrideRecord record)
    {
        var item = new JsonObject { ["kind"] = KindName(record.Kind), ["target"] = record.Target, ["by"] = record.By, ["at"] = record.At };
        if (record.Subject is not null)
        {
            item["subject"] = record.Subject;
        }
        return item;
    }

    private static JsonArray Items(IEnumerable<(string Name, string Backend, string Original)> items) =>
        new([.. items.Select(i => (JsonNode)new JsonObject { ["name"] = i.Name, ["backend"] = i.Backend, ["original_name"] = i.Original })]);

    /// <summary>The wire name of a backend state.</summary>
    public static string StateName(BackendState state) => state switch
    {
        BackendState.Connected => "connected",
        BackendState.Connecting => "connecting",
        BackendState.Failed => "failed",
        _ => "not_connected",
    };

    private static string KindName(OverrideKind kind) => kind switch
    {
        OverrideKind.BackendDisabled => "backend_disabled",
        OverrideKind.ClientDeleted => "client_deleted",
        _ => "connection_revoked",
    };

    /// <summary>A value echoed in an error, cut to a readable length.</summary>
    public static string Short(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
