using System.Text.Json.Serialization;

namespace MasterMcp.Auth;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RegisteredClient))]
[JsonSerializable(typeof(PendingAuthorization))]
[JsonSerializable(typeof(LoginState))]
[JsonSerializable(typeof(AuthorizationCodeRecord))]
[JsonSerializable(typeof(RefreshTokenRecord))]
[JsonSerializable(typeof(TokenFamily))]
[JsonSerializable(typeof(ConsentRecord))]
[JsonSerializable(typeof(BrowserSessionRecord))]
[JsonSerializable(typeof(PublicJwk))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
