using System.Text.Json.Serialization;

namespace MasterMcp.Tests.Storage;

[JsonSerializable(typeof(TestDocument))]
[JsonSerializable(typeof(string))]
internal sealed partial class StorageTestJsonContext : JsonSerializerContext
{
}
