using System.Text.Json.Serialization;

namespace MasterMcp.Audit;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditRow))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
