using System.Collections;
using System.Globalization;
using System.Text;

namespace MasterMcp.Audit;

/// <summary>
/// The log state of one audit event: each field a structured value (JSON logs show them under <c>State</c>), absent
/// fields left out; the message is one readable line.
/// </summary>
internal sealed class AuditLogEntry : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _fields = [];
    private readonly AuditEvent _event;

    public AuditLogEntry(AuditEvent auditEvent)
    {
        _event = auditEvent;
        Add("AuditAction", AuditNames.Of(auditEvent.Action));
        Add("AuditOutcome", AuditNames.Of(auditEvent.Outcome));
        Add("Subject", auditEvent.Subject);
        Add("Issuer", auditEvent.Issuer);
        Add("ClientId", auditEvent.ClientId);
        Add("Backend", auditEvent.Backend);
        Add("PublicName", auditEvent.PublicName);
        Add("OriginalName", auditEvent.OriginalName);
        Add("ErrorCode", auditEvent.ErrorCode);
        Add("Reason", auditEvent.Reason);
        Add("DurationMs", Math.Round(auditEvent.DurationMs, 3));
        Add("TraceId", auditEvent.TraceId);
        Add("Instance", auditEvent.Instance);
        Add("Arguments", auditEvent.Arguments);
    }

    public int Count => _fields.Count;

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        var e = _event;
        var text = new StringBuilder("Audit ").Append(AuditNames.Of(e.Action)).Append(' ').Append(AuditNames.Of(e.Outcome));
        if (e.PublicName is not null)
        {
            text.Append(' ').Append(e.PublicName);
            if (e.OriginalName is not null && e.OriginalName != e.PublicName)
            {
                text.Append(" (").Append(e.Backend).Append(": ").Append(e.OriginalName).Append(')');
            }
        }
        else if (e.Backend is not null)
        {
            text.Append(" backend ").Append(e.Backend);
        }
        text.Append(" by ").Append(e.Subject ?? "anonymous");
        if (e.ClientId is not null)
        {
            text.Append(" via ").Append(e.ClientId);
        }
        if (e.ErrorCode is { } code)
        {
            text.Append(" code ").Append(code.ToString(CultureInfo.InvariantCulture));
        }
        if (e.Reason is not null)
        {
            text.Append(": ").Append(e.Reason);
        }
        text.Append(" in ").Append(e.DurationMs.ToString("0.###", CultureInfo.InvariantCulture)).Append(" ms");
        // Plain-format logs show only the message: the (redacted) arguments go there too when they are recorded.
        return e.Arguments is null ? text.ToString() : text.Append(" arguments ").Append(e.Arguments).ToString();
    }

    private void Add(string key, object? value)
    {
        if (value is not null)
        {
            _fields.Add(new KeyValuePair<string, object?>(key, value));
        }
    }
}
