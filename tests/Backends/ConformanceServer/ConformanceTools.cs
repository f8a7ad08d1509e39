using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ConformanceServer;

/// <summary>
/// The tools the <c>@modelcontextprotocol/conformance</c> server scenarios call, with the results they check.
/// </summary>
[McpServerToolType]
public sealed class ConformanceTools
{
    private const string LoggerName = "conformance-server";

    [McpServerTool(Name = "test_simple_text")]
    [Description("Returns a fixed text content block.")]
    public static string SimpleText() => "This is a simple text response for testing.";

    [McpServerTool(Name = "test_image_content")]
    [Description("Returns a 1x1 PNG image content block.")]
    public static ImageContentBlock ImageContent() =>
        ImageContentBlock.FromBytes(TestAssets.PngBytes, "image/png");

    [McpServerTool(Name = "test_audio_content")]
    [Description("Returns a minimal WAV audio content block.")]
    public static AudioContentBlock AudioContent() =>
        AudioContentBlock.FromBytes(TestAssets.WavBytes, "audio/wav");

    [McpServerTool(Name = "test_embedded_resource")]
    [Description("Returns an embedded text resource.")]
    public static EmbeddedResourceBlock EmbeddedResource() => new()
    {
        Resource = new TextResourceContents
        {
            Uri = "test://embedded-resource",
            MimeType = "text/plain",
            Text = "This is an embedded resource content.",
        },
    };

    [McpServerTool(Name = "test_multiple_content_types")]
    [Description("Returns text, image and embedded resource content together.")]
    public static IEnumerable<ContentBlock> MultipleContentTypes() =>
    [
        new TextContentBlock { Text = "Multiple content types test:" },
        ImageContentBlock.FromBytes(TestAssets.PngBytes, "image/png"),
        new EmbeddedResourceBlock
        {
            Resource = new TextResourceContents
            {
                Uri = "test://mixed-content-resource",
                MimeType = "application/json",
                Text = """{"test":"data","value":123}""",
            },
        },
    ];

    [McpServerTool(Name = "test_tool_with_logging")]
    [Description("Sends three info log notifications about 50 ms apart while it runs.")]
    public static async Task<string> ToolWithLogging(
        RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        // The request-bound server routes these notifications onto the tools/call response stream.
        await SendLogAsync(context.Server, LoggingLevel.Info, "Tool execution started", cancellationToken);
        await Task.Delay(50, cancellationToken);
        await SendLogAsync(context.Server, LoggingLevel.Info, "Tool processing data", cancellationToken);
        await Task.Delay(50, cancellationToken);
        await SendLogAsync(context.Server, LoggingLevel.Info, "Tool execution completed", cancellationToken);
        return "Tool with logging executed successfully";
    }

    [McpServerTool(Name = "test_tool_with_progress")]
    [Description("Reports progress 0, 50 and 100 of 100 when the request carries a progress token.")]
    public static async Task<string> ToolWithProgress(
        RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        var token = context.Params?.ProgressToken;
        foreach (var progress in new[] { 0, 50, 100 })
        {
            if (progress > 0)
            {
                await Task.Delay(50, cancellationToken);
            }

            if (token is { } t)
            {
                await context.Server.NotifyProgressAsync(
                    t, new ProgressNotificationValue { Progress = progress, Total = 100 }, cancellationToken: cancellationToken);
            }
        }

        return token is null ? "Progress tool completed (no progress token)" : $"Progress tool completed for token {token}";
    }

    [McpServerTool(Name = "test_error_handling")]
    [Description("Always fails with a tool-level error (isError: true).")]
    public static CallToolResult ErrorHandling() => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = "This tool intentionally returns an error for testing" }],
    };

    [McpServerTool(Name = "test_sampling")]
    [Description("Asks the client to sample an LLM completion for the prompt.")]
    public static async Task<CallToolResult> Sampling(
        RequestContext<CallToolRequestParams> context,
        [Description("The prompt to send to the LLM")] string prompt,
        CancellationToken cancellationToken)
    {
        if (context.Server.ClientCapabilities?.Sampling is null)
        {
            return ToolError("The client did not declare the sampling capability.");
        }

        var result = await context.Server.SampleAsync(
            new CreateMessageRequestParams
            {
                Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = prompt }] }],
                MaxTokens = 100,
            },
            cancellationToken);

        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
        return new CallToolResult { Content = [new TextContentBlock { Text = $"LLM response: {text}" }] };
    }

    [McpServerTool(Name = "test_elicitation")]
    [Description("Asks the client to elicit a username and email from the user.")]
    public static async Task<CallToolResult> Elicitation(
        RequestContext<CallToolRequestParams> context,
        [Description("The message to show the user")] string message,
        CancellationToken cancellationToken)
    {
        if (context.Server.ClientCapabilities?.Elicitation is null)
        {
            return ToolError("The client did not declare the elicitation capability.");
        }

        var result = await context.Server.ElicitAsync(
            new ElicitRequestParams
            {
                Message = message,
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties =
                    {
                        ["username"] = new ElicitRequestParams.StringSchema { Description = "User's response" },
                        ["email"] = new ElicitRequestParams.StringSchema { Description = "User's email address" },
                    },
                    Required = ["username", "email"],
                },
            },
            cancellationToken);

        return Text($"User response: action={result.Action}, content={FormatContent(result)}");
    }

    [McpServerTool(Name = "test_elicitation_sep1034_defaults")]
    [Description("Elicits a form whose primitive fields all carry default values (SEP-1034).")]
    public static async Task<CallToolResult> ElicitationSep1034Defaults(
        RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        var result = await context.Server.ElicitAsync(
            new ElicitRequestParams
            {
                Message = "Please review and update the form fields with defaults",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties =
                    {
                        ["name"] = new ElicitRequestParams.StringSchema { Description = "User name", Default = "John Doe" },
                        ["age"] = new ElicitRequestParams.NumberSchema { Type = "integer", Description = "User age", Default = 30 },
                        ["score"] = new ElicitRequestParams.NumberSchema { Description = "User score", Default = 95.5 },
                        ["status"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema
                        {
                            Description = "User status",
                            Enum = ["active", "inactive", "pending"],
                            Default = "active",
                        },
                        ["verified"] = new ElicitRequestParams.BooleanSchema { Description = "Verification status", Default = true },
                    },
                },
            },
            cancellationToken);

        return Text($"Elicitation completed: action={result.Action}, content={FormatContent(result)}");
    }

    [McpServerTool(Name = "test_elicitation_sep1330_enums")]
    [Description("Elicits a form with all five enum schema variants (SEP-1330).")]
    public static async Task<CallToolResult> ElicitationSep1330Enums(
        RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
#pragma warning disable MCP9001 // LegacyTitledEnumSchema (enumNames) is deprecated, but SEP-1330 still asks servers to exercise it.
        var legacy = new ElicitRequestParams.LegacyTitledEnumSchema
        {
            Description = "Legacy titled enum (enumNames)",
            Enum = ["opt1", "opt2", "opt3"],
            EnumNames = ["Option One", "Option Two", "Option Three"],
        };
#pragma warning restore MCP9001

        var result = await context.Server.ElicitAsync(
            new ElicitRequestParams
            {
                Message = "Please select options from the enum fields",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties =
                    {
                        ["untitledSingle"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema
                        {
                            Description = "Untitled single-select",
                            Enum = ["option1", "option2", "option3"],
                        },
                        ["titledSingle"] = new ElicitRequestParams.TitledSingleSelectEnumSchema
                        {
                            Description = "Titled single-select",
                            OneOf =
                            [
                                new() { Const = "value1", Title = "First Option" },
                                new() { Const = "value2", Title = "Second Option" },
                                new() { Const = "value3", Title = "Third Option" },
                            ],
                        },
                        ["legacyEnum"] = legacy,
                        ["untitledMulti"] = new ElicitRequestParams.UntitledMultiSelectEnumSchema
                        {
                            Description = "Untitled multi-select",
                            Items = new ElicitRequestParams.UntitledEnumItemsSchema { Enum = ["option1", "option2", "option3"] },
                        },
                        ["titledMulti"] = new ElicitRequestParams.TitledMultiSelectEnumSchema
                        {
                            Description = "Titled multi-select",
                            Items = new ElicitRequestParams.TitledEnumItemsSchema
                            {
                                AnyOf =
                                [
                                    new() { Const = "value1", Title = "First Choice" },
                                    new() { Const = "value2", Title = "Second Choice" },
                                    new() { Const = "value3", Title = "Third Choice" },
                                ],
                            },
                        },
                    },
                },
            },
            cancellationToken);

        return Text($"Elicitation completed: action={result.Action}, content={FormatContent(result)}");
    }

    [McpServerTool(Name = "test_reconnection")]
    [Description("Closes its SSE response stream mid-call so the client must resume with GET and Last-Event-ID (SEP-1699).")]
    public static async Task<string> Reconnection(
        RequestContext<CallToolRequestParams> context, CancellationToken cancellationToken)
    {
        try
        {
            // Ends the POST stream after a priming event carrying retry; the result below is
            // stored in the event store and replayed on the client's GET with Last-Event-ID.
            await context.EnablePollingAsync(TimeSpan.FromMilliseconds(500), cancellationToken);
            await Task.Delay(100, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // stdio or no event store: there is no stream to close, so answer in-line.
        }

        return "Reconnection test completed successfully";
    }

    /// <summary>Sends a log notification unless the client's logging/setLevel filters it out.</summary>
    internal static async Task SendLogAsync(McpServer server, LoggingLevel level, string message, CancellationToken cancellationToken)
    {
        if (server.LoggingLevel is { } minimum && level < minimum)
        {
            return;
        }

        await server.SendNotificationAsync(
            NotificationMethods.LoggingMessageNotification,
            new LoggingMessageNotificationParams
            {
                Level = level,
                Logger = LoggerName,
                Data = JsonSerializer.SerializeToElement(message, McpJsonUtilities.DefaultOptions),
            },
            McpJsonUtilities.DefaultOptions,
            cancellationToken);
    }

    private static string FormatContent(ElicitResult result) =>
        result.Content is null ? "null" : JsonSerializer.Serialize(result.Content, McpJsonUtilities.DefaultOptions);

    private static CallToolResult Text(string text) => new() { Content = [new TextContentBlock { Text = text }] };

    private static CallToolResult ToolError(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };
}
