using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MasterMcp.Tests.Observability;

/// <summary>
/// An OTLP/HTTP receiver on 127.0.0.1 standing in for a collector (none can run here): POST /v1/traces bodies
/// (ExportTraceServiceRequest, protobuf) are decoded with Google.Protobuf's <see cref="CodedInputStream"/> by field number —
/// the OpenTelemetry.Proto types are not available — keeping trace id, name, kind, scope, attributes and resource.
/// Other signals are accepted and counted.
/// </summary>
public sealed class OtlpStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ReceivedSpan> _spans = [];
    private int _otherRequests;

    private OtlpStandIn(WebApplication app) => _app = app;

    /// <summary>The base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Spans received so far.</summary>
    public IReadOnlyList<ReceivedSpan> Spans
    {
        get { lock (_spans) { return [.. _spans]; } }
    }

    /// <summary>Requests for /v1/metrics and /v1/logs received so far.</summary>
    public int OtherRequests => Volatile.Read(ref _otherRequests);

    /// <summary>One decoded span.</summary>
    public sealed record ReceivedSpan(string TraceId, string Name, int Kind, string Scope, IReadOnlyDictionary<string, string> Attributes, IReadOnlyDictionary<string, string> Resource);

    public static async Task<OtlpStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new OtlpStandIn(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var spans = Decode(body.ToArray());
            lock (standIn._spans)
            {
                standIn._spans.AddRange(spans);
            }
            context.Response.ContentType = "application/x-protobuf";
            // An empty ExportTraceServiceResponse.
        });
        app.MapPost("/v1/{signal}", (HttpContext _) =>
        {
            Interlocked.Increment(ref standIn._otherRequests);
            return Results.Ok();
        });
        await app.StartAsync();
        standIn.Endpoint = new Uri(app.Urls.First());
        return standIn;
    }

    private static List<ReceivedSpan> Decode(byte[] payload)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Fields(payload, 1))
        {
            var resource = Fields(resourceSpans, 1).Select(r => Attributes(r, 1)).FirstOrDefault() ?? new Dictionary<string, string>();
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? "";
                foreach (var span in Fields(scopeSpans, 2))
                {
                    var traceId = Convert.ToHexStringLower(Fields(span, 1).FirstOrDefault() ?? []);
                    spans.Add(new ReceivedSpan(traceId, Text(span, 5) ?? "", (int)Varint(span, 6), scope, Attributes(span, 9), resource));
                }
            }
        }
        return spans;
    }

    // KeyValue { string key = 1; AnyValue value = 2 }, AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; ... }
    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var keyValue in Fields(message, field))
        {
            var key = Text(keyValue, 1) ?? "";
            var value = Fields(keyValue, 2).FirstOrDefault() ?? [];
            attributes[key] = Text(value, 1) ?? Varint(value, 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return attributes;
    }

    private static string? Text(byte[] message, int field) => Fields(message, field).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();

    private static long Varint(byte[] message, int field)
    {
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
            {
                return (long)input.ReadUInt64();
            }
            input.SkipLastField();
        }
        return 0;
    }

    /// <summary>The length-delimited values (sub-messages, strings, bytes) of one field number.</summary>
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var values = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
