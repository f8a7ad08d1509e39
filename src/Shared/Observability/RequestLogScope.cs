using System.Collections;

namespace MasterMcp.Observability;

/// <summary>The logging scope of one request: structured fields for JSON logs, a short "key:value" text for plain logs.</summary>
public sealed class RequestLogScope(string correlationId, string route) : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly KeyValuePair<string, object>[] _fields = [new("CorrelationId", correlationId), new("Route", route)];

    public int Count => _fields.Length;

    public KeyValuePair<string, object> this[int index] => _fields[index];

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object>>)_fields).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"CorrelationId:{correlationId} Route:{route}";
}
