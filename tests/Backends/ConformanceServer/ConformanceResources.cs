using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ConformanceServer;

/// <summary>The <c>test://</c> resources and templates the conformance resource scenarios read.</summary>
[McpServerResourceType]
public sealed class ConformanceResources
{
    public const string WatchedResourceUri = "test://watched-resource";

    [McpServerResource(UriTemplate = "test://static-text", Name = "static-text", MimeType = "text/plain")]
    [Description("A static text resource.")]
    public static TextResourceContents StaticText() => new()
    {
        Uri = "test://static-text",
        MimeType = "text/plain",
        Text = "This is the content of the static text resource.",
    };

    [McpServerResource(UriTemplate = "test://static-binary", Name = "static-binary", MimeType = "image/png")]
    [Description("A static binary resource (1x1 PNG).")]
    public static BlobResourceContents StaticBinary() =>
        BlobResourceContents.FromBytes(TestAssets.PngBytes, "test://static-binary", "image/png");

    [McpServerResource(UriTemplate = WatchedResourceUri, Name = "watched-resource", MimeType = "text/plain")]
    [Description("A resource clients can subscribe to.")]
    public static TextResourceContents WatchedResource() => new()
    {
        Uri = WatchedResourceUri,
        MimeType = "text/plain",
        Text = "Watched resource content.",
    };

    [McpServerResource(UriTemplate = "test://template/{id}/data", Name = "template-data", MimeType = "application/json")]
    [Description("A templated resource that echoes its id.")]
    public static TextResourceContents TemplateData([Description("The id to substitute")] string id) => new()
    {
        Uri = $"test://template/{id}/data",
        MimeType = "application/json",
        Text = JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["templateTest"] = true, ["data"] = $"Data for ID: {id}" }),
    };
}
