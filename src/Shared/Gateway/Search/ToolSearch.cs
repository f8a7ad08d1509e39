using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Gateway.Search;

/// <summary>
/// Search mode (<c>tool_exposure: "search"</c>): instead of every tool, a client lists two meta tools.
/// <c>search_tools</c> ranks the tools the session may see (<see cref="ToolIndex"/>) and answers with the best ones in
/// full — input schema, annotations such as <c>destructiveHint</c> — so the client knows how to call them and whether
/// to ask first; <c>call_tool</c> takes a name and arguments and hands them to the gateway's ordinary tools/call path,
/// so routing, policies and errors (an unknown name included) are exactly those of a direct call.
/// Stateless: it works on whatever tool list the caller passes, so one endpoint or one virtual server applies it with
/// <see cref="ListTools"/> and <see cref="CallAsync"/>.
/// </summary>
public static class ToolSearch
{
    /// <summary>Name of the search meta tool.</summary>
    public const string SearchToolName = "search_tools";

    /// <summary>Name of the call meta tool.</summary>
    public const string CallToolName = "call_tool";

    /// <summary>How many tools <c>search_tools</c> returns when the client does not say.</summary>
    public const int DefaultLimit = 5;

    /// <summary>The most tools one <c>search_tools</c> call returns.</summary>
    public const int MaxLimit = 20;

    // A shared catalog's tool list is one object until the catalog changes: index it once. Lists built per request
    // (per-user backends) are indexed per request and collected with it.
    private static readonly ConditionalWeakTable<IReadOnlyList<CatalogTool>, ToolIndex> Indexes = [];

    /// <summary>search_tools: read-only, closed-world (it only looks at the gateway's own list).</summary>
    public static Tool SearchTool { get; } = new()
    {
        Name = SearchToolName,
        Title = "Search tools",
        Description = "Finds the tools that fit a task. Describe what you want to do in plain words; the answer lists the best-matching tools " +
            "with their full input schemas and annotations (destructiveHint, readOnlyHint, …). Then run one with call_tool. " +
            "Check a tool's annotations before calling it: call_tool itself cannot tell whether the tool it runs is destructive.",
        InputSchema = Parse($$"""
            {
              "type": "object",
              "properties": {
                "query": { "type": "string", "minLength": 1, "description": "What you want to do, in plain words." },
                "limit": { "type": "integer", "minimum": 1, "maximum": {{MaxLimit}}, "default": {{DefaultLimit}}, "description": "How many tools to return at most." }
              },
              "required": ["query"]
            }
            """),
        OutputSchema = Parse("""
            {
              "type": "object",
              "properties": {
                "tools": { "type": "array", "description": "Best match first; each item is the tool's full definition.", "items": { "type": "object" } }
              },
              "required": ["tools"]
            }
            """),
        Annotations = new ToolAnnotations { Title = "Search tools", ReadOnlyHint = true, DestructiveHint = false, IdempotentHint = true, OpenWorldHint = false },
    };

    /// <summary>call_tool: may do anything the tool it runs does, so it claims the worst (destructive, open-world).</summary>
    public static Tool CallTool { get; } = new()
    {
        Name = CallToolName,
        Title = "Call a tool",
        Description = "Runs one tool found with search_tools: give its exact name and its arguments (an object matching the tool's input schema). " +
            "The answer is that tool's own result. It can do whatever that tool does, including changes that cannot be undone: " +
            "when the tool's annotations say destructiveHint, confirm with the user first.",
        InputSchema = Parse("""
            {
              "type": "object",
              "properties": {
                "name": { "type": "string", "minLength": 1, "description": "The tool's exact name, as search_tools returned it." },
                "arguments": { "type": "object", "description": "The tool's arguments, matching its input schema." }
              },
              "required": ["name"]
            }
            """),
        Annotations = new ToolAnnotations { Title = "Call a tool", ReadOnlyHint = false, DestructiveHint = true, IdempotentHint = false, OpenWorldHint = true },
    };

    /// <summary>What tools/list shows under <paramref name="exposure"/>, given the tools the session may see.</summary>
    public static IList<Tool> ListTools(ToolExposure exposure, IReadOnlyList<CatalogTool> visible) =>
        exposure == ToolExposure.Search ? [SearchTool, CallTool] : [.. visible.Select(t => t.Tool)];

    /// <summary>True when tools/call of <paramref name="name"/> is for a meta tool under <paramref name="exposure"/> (then use <see cref="CallAsync"/>).</summary>
    /// <remarks>In search mode the meta names win over a backend tool of the same name; call_tool still reaches that tool.</remarks>
    public static bool Handles(ToolExposure exposure, string? name) =>
        exposure == ToolExposure.Search && name is SearchToolName or CallToolName;

    /// <summary>
    /// Answers a tools/call of a meta tool. <paramref name="route"/> is the endpoint's ordinary tools/call path, which
    /// call_tool's unwrapped request (the real name, the arguments, the caller's <c>_meta</c> with its progress token) goes through.
    /// </summary>
    public static async ValueTask<CallToolResult> CallAsync(CallToolRequestParams request, IReadOnlyList<CatalogTool> visible,
        Func<CallToolRequestParams, CancellationToken, ValueTask<CallToolResult>> route, CancellationToken cancellationToken)
    {
        var arguments = request.Arguments ?? new Dictionary<string, JsonElement>();
        if (request.Name == SearchToolName)
        {
            if (!arguments.TryGetValue("query", out var query) || query.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(query.GetString()))
            {
                return InputError("search_tools needs 'query': a non-empty string saying what you want to do.");
            }
            var limit = DefaultLimit;
            if (arguments.TryGetValue("limit", out var limitValue) && limitValue.ValueKind != JsonValueKind.Null
                && !(limitValue.ValueKind == JsonValueKind.Number && limitValue.TryGetInt32(out limit) && limit is >= 1 and <= MaxLimit))
            {
                return InputError($"search_tools: 'limit' must be an integer from 1 to {MaxLimit}.");
            }
            return Found(Search(visible, query.GetString()!, limit));
        }
        if (!arguments.TryGetValue("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(name.GetString()))
        {
            return InputError("call_tool needs 'name': the exact name of a tool that search_tools returned.");
        }
        IDictionary<string, JsonElement>? inner = null;
        if (arguments.TryGetValue("arguments", out var innerArguments) && innerArguments.ValueKind != JsonValueKind.Null)
        {
            if (innerArguments.ValueKind != JsonValueKind.Object)
            {
                return InputError("call_tool: 'arguments' must be an object with the tool's arguments.");
            }
            inner = innerArguments.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        return await route(new CallToolRequestParams { Name = name.GetString()!, Arguments = inner, Meta = request.Meta }, cancellationToken);
    }

    /// <summary>The best <paramref name="limit"/> tools of <paramref name="visible"/> for <paramref name="query"/>.</summary>
    public static IReadOnlyList<ToolMatch> Search(IReadOnlyList<CatalogTool> visible, string query, int limit) =>
        Indexes.GetValue(visible, list => new ToolIndex(list)).Search(query, limit);

    private static CallToolResult Found(IReadOnlyList<ToolMatch> matches)
    {
        var tools = new JsonArray([.. matches.Select(m => ProtocolJson.ToNode(m.Tool.Tool))]);
        var json = new JsonObject { ["tools"] = tools }.ToJsonString();
        // The text block repeats the structured content for clients that read only text (as the MCP spec recommends).
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = matches.Count == 0 ? "No tool matches; describe the task in other words." : json }],
            StructuredContent = Parse(json),
        };
    }

    // Bad arguments are a tool error the model can read and correct (MCP: input validation errors are tool execution errors).
    private static CallToolResult InputError(string message) =>
        new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
