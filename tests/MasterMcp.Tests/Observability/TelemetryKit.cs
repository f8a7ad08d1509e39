using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Tests.Scaleout;

namespace MasterMcp.Tests.Observability;

/// <summary>What the telemetry tests share: a tool call carrying the client's W3C trace context, and a Prometheus text reader.</summary>
internal static class TelemetryKit
{
    /// <summary>Calls <paramref name="tool"/> on an initialized session, with <paramref name="traceparent"/> in params._meta and as the header; returns the result.</summary>
    public static async Task<JsonObject> CallToolAsync(HttpClient http, Uri mcpUrl, RawMcpSession session, string tool, JsonObject arguments, string? traceparent = null, string? bearer = null, int id = 7)
    {
        var parameters = new JsonObject { ["name"] = tool, ["arguments"] = arguments };
        if (traceparent is not null)
        {
            parameters["_meta"] = new JsonObject { ["traceparent"] = traceparent };
        }
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = parameters };
        using var request = new HttpRequestMessage(HttpMethod.Post, mcpUrl) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        request.Headers.Add("Mcp-Session-Id", session.SessionId);
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"tools/call answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var answer = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? await RawMcpSession.ReadUntilAsync(response, m => m["id"]?.GetValue<int>() == id)
            : JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return answer["result"]?.AsObject() ?? throw new InvalidOperationException("tools/call failed: " + answer.ToJsonString());
    }

    /// <summary>A fresh W3C trace context of a client: (trace id, traceparent header value).</summary>
    public static (ActivityTraceId TraceId, string Traceparent) NewClientTrace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        return (traceId, $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
    }

    /// <summary>The trace id in a traceparent value.</summary>
    public static string TraceIdOf(string traceparent) => traceparent.Split('-')[1];

    /// <summary>One sample line of Prometheus text format: metric name, labels, value.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>Parses the sample lines of Prometheus text exposition format (comments skipped).</summary>
    public static List<Sample> ParsePrometheus(string text)
    {
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            string name;
            int rest;
            if (brace >= 0)
            {
                name = line[..brace];
                var i = brace + 1;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    var value = new StringBuilder();
                    var j = eq + 2; // past ="
                    while (line[j] != '"')
                    {
                        if (line[j] == '\\')
                        {
                            j++;
                            value.Append(line[j] == 'n' ? '\n' : line[j]);
                        }
                        else
                        {
                            value.Append(line[j]);
                        }
                        j++;
                    }
                    labels[key] = value.ToString();
                    i = j + 1;
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }
                rest = i + 1;
            }
            else
            {
                rest = line.IndexOf(' ', StringComparison.Ordinal);
                name = line[..rest];
            }
            var fields = line[rest..].Trim().Split(' ');
            var number = fields[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(name, labels, number));
        }
        return samples;
    }
}
