using System.Globalization;
using System.Text;

namespace MasterMcp.Tests.Hardening;

/// <summary>One generated request, kept as data so that a failure prints exactly what was sent (bytes, not a summary).</summary>
public sealed record HostileRequest(int Index, string Route, string InputClass, string Method, string PathAndQuery)
{
    /// <summary>Request headers in the order they are sent (values may hold Latin-1 characters, sent as single bytes).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>The Content-Type header, or null for none.</summary>
    public string? ContentType { get; set; }

    /// <summary>The body bytes, or null for no body.</summary>
    public byte[]? Body { get; set; }

    /// <summary>Send the body chunked (no Content-Length).</summary>
    public bool Chunked { get; set; }

    /// <summary>Send <c>Expect: 100-continue</c> (large bodies: the refusal then arrives before the upload).</summary>
    public bool ExpectContinue { get; set; }

    /// <summary>The request as HttpClient sends it; the path and query go on the wire exactly as generated.</summary>
    public HttpRequestMessage ToMessage(Uri baseUrl)
    {
        var uri = new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + PathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var message = new HttpRequestMessage(new HttpMethod(Method), uri);
        foreach (var (name, value) in Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.Host = value;
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (Body is not null)
        {
            HttpContent content = Chunked ? new StreamContent(new MemoryStream(Body)) : new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
            message.Content = content;
        }
        message.Headers.ExpectContinue = ExpectContinue ? true : null;
        return message;
    }

    /// <summary>The exact request: line, headers, body with every byte outside printable ASCII as \xNN (long bodies shortened, with their length).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"#{Index} [{Route} / {InputClass}] {Method} {Escape(Encoding.Latin1.GetBytes(PathAndQuery), 4096)}\n");
        foreach (var (name, value) in Headers)
        {
            text.Append(name).Append(": ").Append(Escape(Encoding.Latin1.GetBytes(value), 1024)).Append('\n');
        }
        if (ContentType is not null)
        {
            text.Append("Content-Type: ").Append(Escape(Encoding.Latin1.GetBytes(ContentType), 1024)).Append('\n');
        }
        if (Chunked)
        {
            text.Append("Transfer-Encoding: chunked\n");
        }
        if (ExpectContinue)
        {
            text.Append("Expect: 100-continue\n");
        }
        if (Body is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[{Body.Length} bytes] ").Append(Escape(Body, 4096));
        }
        return text.ToString();
    }

    private static string Escape(byte[] bytes, int max)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.AsSpan(0, Math.Min(bytes.Length, max)))
        {
            if (b is >= 0x20 and < 0x7F && b != '\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }
        if (bytes.Length > max)
        {
            text.Append(CultureInfo.InvariantCulture, $"… ({bytes.Length - max} more bytes; regenerate the request from the seed and index for all of them)");
        }
        return text.ToString();
    }
}
