using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol.Server;

namespace ConformanceServer;

/// <summary>
/// The <c>json_schema_2020_12_tool</c> whose input schema uses <c>$schema</c>, <c>$defs</c> and
/// <c>additionalProperties</c>, which the suite checks survive tools/list unchanged (SEP-1613).
/// </summary>
public static class JsonSchema202012Tool
{
    public const string Name = "json_schema_2020_12_tool";

    private const string InputSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "$defs": {
            "address": {
              "type": "object",
              "properties": {
                "street": { "type": "string" },
                "city": { "type": "string" }
              }
            }
          },
          "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" }
          },
          "additionalProperties": false
        }
        """;

    /// <summary>Creates the tool with its hand-written schema in place of the generated one.</summary>
    public static McpServerTool Create()
    {
        var tool = McpServerTool.Create(
            ([Description("A name")] string? name = null) => $"Received name: {name ?? "(none)"}",
            new McpServerToolCreateOptions { Name = Name, Description = "Tool with JSON Schema 2020-12 features" });
        tool.ProtocolTool.InputSchema = JsonElement.Parse(InputSchema);
        return tool;
    }
}
