using System.Text.Json;
using System.Text.Json.Nodes;

namespace MasterMcp.Hosting;

/// <summary>
/// Parses a JSON object that comes from outside (a request body, a fetched document) completely and up front, so that the
/// code reading it cannot fail later: <see cref="JsonNode.Parse(ReadOnlySpan{byte}, JsonNodeOptions?, JsonDocumentOptions)"/>
/// accepts lone surrogates (<c>"\ud800"</c>), invalid UTF-8 inside strings and duplicate keys, and only throws when a
/// value is read — an InvalidOperationException or ArgumentException deep inside a handler, which used to become a 500.
/// </summary>
public static class StrictJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>The object in <paramref name="utf8"/>, or null with <paramref name="problem"/> saying what is wrong ("is not valid JSON (…)").</summary>
    public static JsonObject? ParseObject(ReadOnlySpan<byte> utf8, out string? problem)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    // Decodes the string: throws for invalid UTF-8 and for escapes that are lone surrogates.
                    reader.GetString();
                }
            }
            if (JsonNode.Parse(utf8, documentOptions: Options) is JsonObject value)
            {
                problem = null;
                return value;
            }
            problem = "is not a JSON object";
        }
        catch (JsonException ex)
        {
            problem = "is not valid JSON (" + FirstSentence(ex.Message) + ")";
        }
        catch (InvalidOperationException)
        {
            problem = "holds a string that is not valid Unicode (invalid UTF-8 or a lone surrogate escape)";
        }
        return null;
    }

    // System.Text.Json's messages end with the position ("LineNumber: 0 | BytePositionInLine: 7."), which is useful; what
    // precedes it can quote one character of the input at most.
    private static string FirstSentence(string message) => message.Length > 300 ? message[..300] : message.TrimEnd('.');
}
