using System.Text.Json.Serialization;

namespace MasterMcp.Configuration;

/// <summary>How an MCP endpoint shows its tools: every tool, or two meta tools that search and call them (small context windows).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToolExposure>))]
public enum ToolExposure
{
    /// <summary>tools/list shows every tool the session may use.</summary>
    [JsonStringEnumMemberName("all")]
    All,

    /// <summary>tools/list shows <c>search_tools</c> and <c>call_tool</c> only; see <see cref="Gateway.Search.ToolSearch"/>.</summary>
    [JsonStringEnumMemberName("search")]
    Search,
}
