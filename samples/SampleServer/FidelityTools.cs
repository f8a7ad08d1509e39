using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

/// <summary>
/// Tools that let protocol-fidelity tests see, from the backend's side, what reached it: cancellations with their time,
/// elicitation and sampling answers, progress it sent, and the protocol version it negotiated.
/// </summary>
[McpServerToolType]
public sealed class FidelityTools
{
    private static readonly ConcurrentDictionary<string, long> CancelledAt = new(StringComparer.Ordinal);

    [McpServerTool(Name = "wait_for_cancel"), Description("Waits until the call is cancelled (or 60 s), recording when the cancellation arrived under the given tag.")]
    public static async Task<string> WaitForCancel(string tag, CancellationToken cancellationToken)
    {
        CancelledAt[tag] = 0; // waiting: tests wait for this instead of guessing when the call has arrived
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(60), cancellationToken);
            return "not cancelled";
        }
        catch (OperationCanceledException)
        {
            CancelledAt[tag] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            throw;
        }
    }

    [McpServerTool(Name = "cancelled_at"), Description("The Unix time in ms at which the call with this tag saw its cancellation, 0 while it is still waiting, or -1 if it never arrived.")]
    public static long CancelledAtTime(string tag) => CancelledAt.TryGetValue(tag, out var at) ? at : -1;

    [McpServerTool(Name = "ask"), Description("Asks the client (form elicitation) for an 'answer' string and returns what came back.")]
    public static async Task<string> Ask(McpServer server, RequestContext<CallToolRequestParams> context, string question, CancellationToken cancellationToken)
    {
        var request = new ElicitRequestParams
        {
            Message = question,
            RequestedSchema = new ElicitRequestParams.RequestSchema
            {
                Properties = new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition> { ["answer"] = new ElicitRequestParams.StringSchema() },
            },
        };
        ElicitResult result;
        if (server.IsMrtrSupported)
        {
            // 2026-07-28: multi round-trip. Ask with an input-required result; the retry carries the answer.
            if (context.Params?.InputResponses?.TryGetValue("answer", out var response) != true)
            {
                throw new InputRequiredException(new Dictionary<string, InputRequest> { ["answer"] = InputRequest.ForElicitation(request) }, requestState: null);
            }
            result = response!.Deserialize(InputResponse.ElicitResultJsonTypeInfo)!;
        }
        else
        {
            result = await server.ElicitAsync(request, cancellationToken);
        }
        var answer = result.Content is { } content && content.TryGetValue("answer", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return $"{result.Action}:{answer}";
    }

#pragma warning disable MCP9005 // Sampling and logging are deprecated for 2026-07-28 (SEP-2577); this test backend exercises them for earlier revisions.
    [McpServerTool(Name = "sample"), Description("Asks the client to sample a message for the prompt and returns the text that came back.")]
    public static async Task<string> Sample(McpServer server, string prompt, CancellationToken cancellationToken)
    {
        var result = await server.SampleAsync(new CreateMessageRequestParams
        {
            Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = prompt }] }],
            MaxTokens = 50,
        }, cancellationToken);
        return string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
    }

    [McpServerTool(Name = "progress"), Description("Reports the given number of progress steps, tagged with the label, then answers; pauseMs (default 20) between steps, 0 for none.")]
    public static async Task<string> Progress(IProgress<ProgressNotificationValue> progress, string label, int steps, CancellationToken cancellationToken, int pauseMs = 20)
    {
        for (var i = 1; i <= steps; i++)
        {
            progress.Report(new ProgressNotificationValue { Progress = i, Total = steps, Message = $"{label} {i}" });
            if (pauseMs > 0)
            {
                await Task.Delay(pauseMs, cancellationToken);
            }
        }
        return $"{label} done";
    }

    [McpServerTool(Name = "log_all_levels"), Description("Logs one message at every level through the client logger, which honours the level the client set.")]
    public static string LogAllLevels(McpServer server, string tag)
    {
        var logger = server.AsClientLoggerProvider().CreateLogger("fidelity");
        foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical })
        {
#pragma warning disable CA2254 // A test message, not a template.
            logger.Log(level, $"{tag} {level}");
#pragma warning restore CA2254
        }
        return "logged";
    }

#pragma warning restore MCP9005

    [McpServerTool(Name = "protocol_version"), Description("The protocol version this session negotiated with its client.")]
    public static string ProtocolVersion(McpServer server) => server.NegotiatedProtocolVersion ?? "(none)";
}
