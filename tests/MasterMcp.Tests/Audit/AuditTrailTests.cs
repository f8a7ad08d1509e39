using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using MasterMcp.Audit;
using MasterMcp.Configuration;
using MasterMcp.Scaleout;
using MasterMcp.Storage;
using MasterMcp.Tests.Auth;
using MasterMcp.Tests.Credentials;
using MasterMcp.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using static MasterMcp.Tests.Fidelity.RelayScenarios;

namespace MasterMcp.Tests.Audit;

/// <summary>
/// The audit trail end to end, on real parts: in-process gateways, the MCP C# SDK client, oidc-provider for the logins,
/// sample MCP backends and Azurite for the table.
/// </summary>
[Collection("azurite")]
public sealed class AuditTrailTests(AzuriteFixture azurite)
{
    private const string Distinctive = "zebra-quartz-9931-argument";

    [Fact]
    public async Task AuditTrail_RecordsGrantConsentCallRefusalsConnectionAndRevocations_InLogAndTable_WithoutArgumentsOrTokens()
    {
        await using var bed = await CredentialsBed.StartAsync(azurite, configure: c => c["audit"] = new JsonObject { ["table"] = true });
        var gateway = bed.A.BaseAddress;
        var instance = bed.A.App.Services.GetRequiredService<InstanceIdentity>().Id;

        // Consent (on the consent page, then the upstream login) and an authorization_code grant.
        var (clientId, secret) = await AuthTestKit.RegisterAsync(gateway);
        var (verifier, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver { Login = "alice" };
        var final = await browser.RunAsync(AuthTestKit.AuthorizeUrl(gateway, clientId, challenge), AuthTestKit.Redirect);
        var (status, tokens) = await AuthTestKit.RedeemAsync(gateway, clientId, secret, AuthTestKit.Query(final, "code")!, verifier);
        Assert.Equal(HttpStatusCode.OK, status);
        var accessToken = tokens["access_token"]!.GetValue<string>();

        await using (var client = await CredentialsBed.ConnectAsync(bed.A, accessToken))
        {
            // A call that works, one refused for an unknown name, one refused until the user connects their account.
            var echoed = await client.CallToolAsync("open__echo", new Dictionary<string, object?> { ["text"] = Distinctive });
            Assert.Contains(Distinctive, Assert.IsType<TextContentBlock>(Assert.Single(echoed.Content)).Text, StringComparison.Ordinal);
            var unknown = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("open__no_such_tool", new Dictionary<string, object?> { ["text"] = Distinctive }).AsTask());
            Assert.Equal(McpErrorCode.InvalidParams, unknown.ErrorCode);
            var link = await DelegatedFlowTests.ElicitedLinkAsync(client, "prot__connect");

            // The backend connection: the link, the provider's login and consent, the callback.
            var (connected, page) = await CredentialsBed.FollowAsync(browser, link);
            Assert.Equal(HttpStatusCode.OK, connected);
            Assert.Contains("now connected", page, StringComparison.Ordinal);
        }

        // A refresh grant, the revocation of the grant (RFC 7009), a refresh refused after it, and a disconnect.
        var (refreshStatus, refreshed) = await AuthTestKit.TokenAsync(gateway, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens["refresh_token"]!.GetValue<string>(),
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.OK, refreshStatus);
        var refreshToken = refreshed["refresh_token"]!.GetValue<string>();
        using (var http = new HttpClient())
        using (var revoke = await http.PostAsync(new Uri(gateway, "/revoke"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        })))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        var (deniedStatus, _) = await AuthTestKit.TokenAsync(gateway, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId,
            ["client_secret"] = secret!,
        });
        Assert.Equal(HttpStatusCode.BadRequest, deniedStatus);
        await DelegatedFlowTests.LinkFromConnectionsAsync(bed, browser, "prot", disconnectFirst: true);

        var events = AuditLog.In(bed.Logs);
        var issuer = bed.Idp.Issuer;
        Assert.All(events, e =>
        {
            Assert.Equal(instance, e["Instance"]);
            Assert.Matches("^[0-9a-f]{32}$", e["TraceId"]!);
            Assert.NotNull(e["DurationMs"]);
        });

        var consent = Assert.Single(events, e => e.Action == "oauth.consent");
        Assert.Equal(("ok", "alice", issuer, clientId, "mcp"), (consent.Outcome, consent["Subject"], consent["Issuer"], consent["ClientId"], consent["PublicName"]));

        var grants = events.Where(e => e.Action == "oauth.grant").ToList();
        Assert.Equal(["ok authorization_code alice", "ok refresh_token alice", "denied refresh_token "], grants.Select(g => $"{g.Outcome} {g["PublicName"]} {g["Subject"]}"));
        Assert.All(grants, g => Assert.Equal(clientId, g["ClientId"]));
        Assert.Contains("invalid_grant: the refresh token was revoked", grants[2]["Reason"], StringComparison.Ordinal);

        var calls = events.Where(e => e.Action == "tools/call").ToList();
        Assert.Equal(3, calls.Count);
        Assert.Equal(("ok", "alice", clientId, "open", "open__echo", "echo"), (calls[0].Outcome, calls[0]["Subject"], calls[0]["ClientId"], calls[0]["Backend"], calls[0]["PublicName"], calls[0]["OriginalName"]));
        Assert.Equal(("refused", "open__no_such_tool", "-32602", "unknown tool"), (calls[1].Outcome, calls[1]["PublicName"], calls[1]["ErrorCode"], calls[1]["Reason"]));
        Assert.Equal(("refused", "prot", "prot__connect", "-32042"), (calls[2].Outcome, calls[2]["Backend"], calls[2]["PublicName"], calls[2]["ErrorCode"]));
        Assert.StartsWith("consent required", calls[2]["Reason"], StringComparison.Ordinal);

        var connection = Assert.Single(events, e => e.Action == "backend.connect");
        Assert.Equal(("ok", "alice", "prot"), (connection.Outcome, connection["Subject"], connection["Backend"]));

        var revocations = events.Where(e => e.Action == "revocation").ToList();
        Assert.Equal(2, revocations.Count);
        Assert.Equal(("ok", "alice", clientId, "grant", "revoked by the client (RFC 7009)"), (revocations[0].Outcome, revocations[0]["Subject"], revocations[0]["ClientId"], revocations[0]["PublicName"], revocations[0]["Reason"]));
        Assert.Equal(("ok", "alice", "prot", "connection"), (revocations[1].Outcome, revocations[1]["Subject"], revocations[1]["Backend"], revocations[1]["PublicName"]));

        // No argument values and no token values anywhere in the audit output (arguments are off by default).
        var auditText = string.Join("\n", events.Select(e => e.Text));
        Assert.DoesNotContain(Distinctive, auditText, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Null(e["Arguments"]));
        DelegatedFlowTests.AssertNoneIn(auditText, [accessToken, tokens["refresh_token"]!.GetValue<string>(), refreshToken, refreshed["access_token"]!.GetValue<string>(), secret!], "audit log");

        // audit.table: the same events as rows in Azurite, written off the request path.
        var table = bed.Stores().GetTable(AuditTableWriter.TableName);
        List<AuditRow> rows = [];
        await Eventually(async () =>
        {
            rows = [.. (await table.QueryAllAsync(AuditJsonContext.Default.AuditRow).ToListAsync()).Select(r => r.Value)];
            return rows.Count >= events.Count;
        });
        Assert.Equal(events.Count, rows.Count);
        Assert.Equal(events.Select(e => $"{e.Action} {e.Outcome} {e["PublicName"]}").Order(), rows.Select(r => $"{r.Action} {r.Outcome} {r.PublicName}").Order());
        var echoRow = Assert.Single(rows, r => r.PublicName == "open__echo");
        Assert.Equal(("alice", issuer, clientId, "open", "echo", instance, calls[0]["TraceId"]), (echoRow.Subject, echoRow.Issuer, echoRow.ClientId, echoRow.Backend, echoRow.OriginalName, echoRow.Instance, echoRow.TraceId));
        Assert.Null(echoRow.Arguments);
        var rawRows = await RawRowsAsync(bed.Prefix);
        Assert.DoesNotContain(Distinctive, rawRows, StringComparison.Ordinal);
        DelegatedFlowTests.AssertNoneIn(rawRows, [accessToken, refreshToken, secret!], "audit table");
    }

    [Fact]
    public async Task ConsentDenied_IsAudited_AndAuditEventsOutliveAQuieterLoggingLevel()
    {
        // logging.level warning silences Information diagnostics, but not the audit record.
        await using var bed = await CredentialsBed.StartAsync(azurite, configure: c => c["logging"]!["level"] = "warning");
        var (clientId, _) = await AuthTestKit.RegisterAsync(bed.A.BaseAddress);
        var (_, challenge) = AuthTestKit.Pkce();
        using var browser = new BrowserDriver { Login = "alice", Decision = "deny" };

        var final = await browser.RunAsync(AuthTestKit.AuthorizeUrl(bed.A.BaseAddress, clientId, challenge), AuthTestKit.Redirect);

        Assert.Equal("access_denied", AuthTestKit.Query(final, "error"));
        var denied = Assert.Single(AuditLog.In(bed.Logs));
        Assert.Equal(("oauth.consent", "denied", clientId, "mcp", "the user denied the request"), (denied.Action, denied.Outcome, denied["ClientId"], denied["PublicName"], denied["Reason"]));
        // Consent comes before the upstream login: nobody is signed in yet, so there is no subject to name.
        Assert.Null(denied["Subject"]);
        Assert.DoesNotContain(bed.Logs.Entries, e => e.StartsWith("Information ", StringComparison.Ordinal) && !e.StartsWith("Information " + AuditTrail.Category, StringComparison.Ordinal));
    }

    [Fact]
    public async Task IncludeArguments_PutsArgumentsInTheEvent_WithSecretKeysAndTokenLookingValuesRedacted()
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var logs = new LogCapture();
        await using var gateway = await StartAsync(backend, new JsonObject { ["include_arguments"] = true }, logs);
        await using var client = await ConnectAsync(gateway);
        const string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU";

        await client.CallToolAsync("alpha__echo", new Dictionary<string, object?>
        {
            ["text"] = Distinctive,
            ["password"] = "hunter2-correct-horse",
            ["options"] = new Dictionary<string, object?> { ["header"] = "Bearer " + jwt, ["api_key"] = "k-12345678" },
        });
        await client.GetPromptAsync("alpha__greeting", new Dictionary<string, object?> { ["name"] = "Server=db;Password=pr0mpt-pa55;" });

        var call = Assert.Single(AuditLog.In(logs), e => e.Action == "tools/call");
        var arguments = JsonNode.Parse(call["Arguments"]!)!;
        Assert.Equal(Distinctive, arguments["text"]!.GetValue<string>());
        Assert.Equal(AuditRedactor.Mask, arguments["password"]!.GetValue<string>());
        Assert.Equal("Bearer " + AuditRedactor.Mask, arguments["options"]!["header"]!.GetValue<string>());
        Assert.Equal(AuditRedactor.Mask, arguments["options"]!["api_key"]!.GetValue<string>());
        var prompt = Assert.Single(AuditLog.In(logs), e => e.Action == "prompts/get");
        Assert.Equal(("ok", "alpha", "greeting"), (prompt.Outcome, prompt["Backend"], prompt["OriginalName"]));
        Assert.Contains("Password=" + AuditRedactor.Mask, prompt["Arguments"], StringComparison.Ordinal);

        var auditText = string.Join("\n", AuditLog.In(logs).Select(e => e.Text));
        foreach (var secret in new[] { "hunter2-correct-horse", jwt, "k-12345678", "pr0mpt-pa55" })
        {
            Assert.DoesNotContain(secret, auditText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ResourceRead_AndUnavailableBackend_AreAudited_ReadOk_CallToADeadBackendRefused()
    {
        await using var alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var logs = new LogCapture();
        await using var gateway = await StartAsync(alpha, new JsonObject(), logs);
        await using var client = await ConnectAsync(gateway);
        var resource = (await client.ListResourcesAsync()).Single(r => r.Name == "info");

        await client.ReadResourceAsync(resource.Uri);
        await alpha.DisposeAsync();
        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "x" }).AsTask());

        var events = AuditLog.In(logs);
        var read = Assert.Single(events, e => e.Action == "resources/read");
        Assert.Equal(("ok", "alpha", resource.Uri, "sample://info"), (read.Outcome, read["Backend"], read["PublicName"], read["OriginalName"]));
        var call = Assert.Single(events, e => e.Action == "tools/call");
        if (call["Backend"] is null)
        {
            // The gateway noticed the death before the call and dropped alpha's tools: refused as an unknown name.
            Assert.Equal(("refused", "-32602", "alpha__echo"), (call.Outcome, call["ErrorCode"], call["PublicName"]));
        }
        else
        {
            // The call reached the routing while alpha was still listed: refused (or failed) at the dead backend.
            Assert.Equal(("alpha", "echo"), (call["Backend"], call["OriginalName"]));
            Assert.True(call.Outcome is "refused" or "error", call.Text);
            Assert.Equal("-32603", call["ErrorCode"]);
        }
    }

    [Fact]
    public async Task A2026Call_SuspendedForTheClientsInput_IsAuditedAsInputRequired_ThenItsRetryOk_NeverAsAnError()
    {
        await using var alpha = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var logs = new LogCapture();
        await using var gateway = await StartAsync(alpha, new JsonObject(), logs);
        var recorder = new MasterMcp.Tests.Fidelity.Recorder("m");
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseAddress, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), recorder.Options("2026-07-28"));

        var asked = await client.CallToolAsync("alpha__ask", new Dictionary<string, object?> { ["question"] = "q" });

        Assert.Equal("accept:answer from m", MasterMcp.Tests.Gateway.AggregationTests.Text(asked));
        var calls = AuditLog.In(logs).Where(e => e.Action == "tools/call").ToList();
        Assert.Equal(["input_required", "ok"], calls.Select(c => c.Outcome));
        Assert.Equal(("alpha", "ask"), (calls[0]["Backend"], calls[0]["OriginalName"]));
    }

    [Fact]
    public async Task FullQueue_DropsAndCountsEvents_WithoutHoldingUpCalls_AndTheQueuedOnesStillReachTheTable()
    {
        await using var backend = await TestServerProcess.StartAsync("SampleServer", "--name", "alpha");
        var logs = new LogCapture();
        var prefix = "a" + Guid.NewGuid().ToString("N")[..12];
        var stores = new TableStoreFactory(new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = prefix });
        var gated = new GatedStoreFactory(stores, AuditTableWriter.TableName);
        await using var gateway = await StartAsync(backend, new JsonObject { ["table"] = true, ["queue_capacity"] = 1 }, logs, s =>
        {
            s.RemoveAll<IStoreFactory>();
            s.AddSingleton<IStoreFactory>(gated);
        });
        var meters = gateway.App.Services.GetRequiredService<IMeterFactory>();
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AuditMetrics.MeterName && instrument.Meter.Scope == meters && instrument.Name == "master_mcp.audit.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        listener.Start();
        await using var client = await ConnectAsync(gateway);

        // The first event is taken by the writer, which now waits on the table; the second fills the queue (capacity 1).
        await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = "1" });
        await gated.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 2; i <= 5; i++)
        {
            // Each call completes although the table does not answer: the request never waits for the audit table.
            var result = await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["text"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                .AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(true, result.IsError);
        }

        Assert.Equal(3, Interlocked.Read(ref counted));
        Assert.Equal(3, gateway.App.Services.GetRequiredService<AuditMetrics>().Dropped);
        Assert.Equal(5, AuditLog.In(logs).Count(e => e.Action == "tools/call"));
        Assert.Single(logs.Entries, e => e.StartsWith("Warning ", StringComparison.Ordinal) && e.Contains("Audit queue full", StringComparison.Ordinal));

        gated.Release.SetResult();
        var table = stores.GetTable(AuditTableWriter.TableName);
        await Eventually(async () => (await table.QueryAllAsync(AuditJsonContext.Default.AuditRow).ToListAsync()).Count == 2);
    }

    [Fact]
    public async Task RetentionCleanup_DeletesRowsPastRetentionDays_AndKeepsNewerOnes()
    {
        var prefix = "r" + Guid.NewGuid().ToString("N")[..12];
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var stores = new TableStoreFactory(new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = prefix }, time);
        var options = new GatewayOptions { Audit = new AuditOptions { Table = true, RetentionDays = 30 } };
        var monitor = new FixedOptionsMonitor(options);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var logs = new LogCapture();
        using var writer = new AuditTableWriter(stores, monitor, new AuditMetrics(services.GetRequiredService<IMeterFactory>()), time, new Logger<AuditTableWriter>(new LoggerFactory([logs])));
        await writer.StartAsync(CancellationToken.None);
        AuditEvent At(DateTimeOffset when, string name) => new() { Timestamp = when, Action = AuditAction.ToolCall, Outcome = AuditOutcome.Ok, PublicName = name, Instance = "test" };
        Assert.True(writer.TryEnqueue(At(time.GetUtcNow().AddDays(-31), "old")));
        Assert.True(writer.TryEnqueue(At(time.GetUtcNow().AddDays(-29), "recent")));
        Assert.True(writer.TryEnqueue(At(time.GetUtcNow(), "new")));
        await writer.StopAsync(CancellationToken.None);
        Assert.True(logs.Entries.Count == 0, logs.Text);
        Assert.Equal(["new", "old", "recent"], (await RawNamesAsync(prefix)).Order());

        await AuditCleanupService.CleanAsync(writer, options, NullLogger.Instance, CancellationToken.None);
        Assert.Equal(["new", "recent"], (await RawNamesAsync(prefix)).Order());

        // Two days later the one written 29 days ago is past 30 days too.
        time.Advance(TimeSpan.FromDays(2));
        await AuditCleanupService.CleanAsync(writer, options, NullLogger.Instance, CancellationToken.None);
        Assert.Equal(["new"], await RawNamesAsync(prefix));

        // With audit.table off the cleanup leaves the table alone.
        time.Advance(TimeSpan.FromDays(60));
        await AuditCleanupService.CleanAsync(writer, new GatewayOptions(), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(["new"], await RawNamesAsync(prefix));
    }

    private async Task<List<string>> RawNamesAsync(string prefix)
    {
        // Straight from the table (the store hides expired rows from readers; cleanup is what removes them).
        var client = new TableClient(azurite.ConnectionString, TableStoreFactory.GetTableName(prefix, AuditTableWriter.TableName));
        var names = new List<string>();
        await foreach (var entity in client.QueryAsync<TableEntity>())
        {
            names.Add(JsonNode.Parse(entity.GetString("Data"))!["public_name"]!.GetValue<string>());
        }
        return names;
    }

    private sealed class FixedOptionsMonitor(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;

        public GatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }

    private static async Task<InProcessGateway> StartAsync(TestServerProcess backend, JsonObject audit, LogCapture logs, Action<IServiceCollection>? services = null)
    {
        var config = new JsonObject
        {
            ["audit"] = audit,
            ["servers"] = new JsonArray(new JsonObject { ["id"] = "alpha", ["url"] = backend.McpUrl.ToString() }),
        };
        var file = Path.Combine(Directory.CreateTempSubdirectory("audit-").FullName, "config.json");
        await File.WriteAllTextAsync(file, config.ToJsonString());
        return await InProcessGateway.StartAsync(["--config", file], configureServices: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            services?.Invoke(s);
        });
    }

    private static Task<McpClient> ConnectAsync(InProcessGateway gateway) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseAddress, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" });

    private async Task<string> RawRowsAsync(string prefix)
    {
        var client = new TableClient(azurite.ConnectionString, TableStoreFactory.GetTableName(prefix, AuditTableWriter.TableName));
        var text = new System.Text.StringBuilder();
        await foreach (var entity in client.QueryAsync<TableEntity>())
        {
            text.AppendLine(string.Join(" ", entity.Select(p => $"{p.Key}={p.Value}")));
        }
        return text.ToString();
    }
}
