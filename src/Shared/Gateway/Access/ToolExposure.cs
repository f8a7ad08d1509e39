namespace MasterMcp.Gateway.Access;

/// <summary>How a virtual server lists tools: every visible tool, or only search_tools and call_tool (search mode).</summary>
public enum ToolExposure
{
    All,
    Search,
}
