using System.Text;

namespace MasterMcp.Tests.Scaleout;

/// <summary>Reads a raw SSE body event by event (id and data as sent; comment lines such as heartbeats skipped).</summary>
public sealed class SseEventReader(Stream body)
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    /// <summary>One event: its id (null when it had none) and its data lines joined by newlines ("" for none).</summary>
    public sealed record Event(string? Id, string Data);

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<Event?> NextAsync(CancellationToken cancellationToken)
    {
        string? id = null;
        var data = new List<string>();
        var any = false;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    return new Event(id, string.Join('\n', data));
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }
        return null;
    }
}
