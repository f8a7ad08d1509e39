using System.Diagnostics;
using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Scaleout;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MasterMcp.Audit;

/// <summary>
/// Writes audit events: always one structured log entry under the category <see cref="Category"/>, and with
/// <c>audit.table</c> also a row of the audit table, queued for <see cref="AuditTableWriter"/> so the request never waits
/// for storage. Events carry who (subject, client id), what (backend, public and original name), the outcome, the duration,
/// the trace id and the instance — never token values, and arguments only with <c>audit.include_arguments</c>, redacted.
/// </summary>
public sealed class AuditTrail(IOptionsMonitor<GatewayOptions> options, InstanceIdentity instance, AuditTableWriter writer, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>The log category of audit events.</summary>
    public const string Category = "MasterMcp.Audit";

    private static readonly EventId AuditEventId = new(9000, "Audit");
    private readonly ILogger _logger = loggers.CreateLogger(Category);

    /// <summary>True when events carry the (redacted) arguments of calls.</summary>
    public bool IncludeArguments => options.CurrentValue.Audit.IncludeArguments;

    /// <summary>Starts timing an MCP call; the scope writes its event when it ends.</summary>
    public AuditScope Begin(AuditAction action, GatewayUser? user, string? publicName, Func<string?>? arguments = null) =>
        new(this, action, user, publicName, IncludeArguments ? arguments?.Invoke() : null, time.GetTimestamp());

    /// <summary>
    /// Records an action that is not an MCP call (grant, consent, connection, revocation); <paramref name="name"/> says what
    /// it was about (the grant type, the scopes, "grant" or "connection").
    /// </summary>
    public void Record(AuditAction action, AuditOutcome outcome, string? subject, string? issuer, string? clientId,
        string? backend = null, string? name = null, string? reason = null, long? startedAt = null) =>
        Write(new AuditEvent
        {
            Timestamp = time.GetUtcNow(),
            Action = action,
            Outcome = outcome,
            Subject = subject,
            Issuer = issuer,
            ClientId = clientId,
            Backend = backend,
            PublicName = name,
            Reason = reason is null ? null : AuditRedactor.Text(reason),
            DurationMs = startedAt is { } started ? time.GetElapsedTime(started).TotalMilliseconds : 0,
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Instance = instance.Id,
        });

    /// <summary>A timestamp for <see cref="Record"/>'s <c>startedAt</c>.</summary>
    public long Now() => time.GetTimestamp();

    internal void Complete(AuditScope scope, AuditOutcome outcome, int? errorCode, string? reason) =>
        Write(new AuditEvent
        {
            Timestamp = time.GetUtcNow(),
            Action = scope.Action,
            Outcome = outcome,
            Subject = scope.User?.Subject,
            Issuer = scope.User?.Issuer,
            ClientId = scope.User?.ClientId,
            Backend = scope.Backend,
            PublicName = scope.PublicName,
            OriginalName = scope.OriginalName,
            ErrorCode = errorCode,
            Reason = reason is null ? null : AuditRedactor.Text(reason),
            DurationMs = time.GetElapsedTime(scope.StartedAt).TotalMilliseconds,
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Instance = instance.Id,
            Arguments = scope.Arguments,
        });

    private void Write(AuditEvent auditEvent)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var entry = new AuditLogEntry(auditEvent);
            _logger.Log(LogLevel.Information, AuditEventId, entry, null, static (e, _) => e.ToString());
        }
        if (options.CurrentValue.Audit.Table)
        {
            writer.TryEnqueue(auditEvent);
        }
    }
}
