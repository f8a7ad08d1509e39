using System.Text.Json.Serialization;

namespace MasterMcp.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(OverrideRecord))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
