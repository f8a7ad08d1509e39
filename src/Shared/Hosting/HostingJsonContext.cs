using System.Text.Json.Serialization;

namespace MasterMcp.Hosting;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(ReadyBody))]
internal sealed partial class HostingJsonContext : JsonSerializerContext;
