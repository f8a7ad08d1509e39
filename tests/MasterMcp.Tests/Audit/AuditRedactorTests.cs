using System.Text.Json;
using System.Text.Json.Nodes;
using MasterMcp.Audit;

namespace MasterMcp.Tests.Audit;

/// <summary>Best-effort redaction: secret key names are masked whole, secret-looking values inside any string are replaced, the rest stays readable.</summary>
public sealed class AuditRedactorTests
{
    [Theory]
    [InlineData("password")]
    [InlineData("Password")]
    [InlineData("client_secret")]
    [InlineData("accessToken")]
    [InlineData("refresh_token")]
    [InlineData("apiKey")]
    [InlineData("api-key")]
    [InlineData("key")]
    [InlineData("Authorization")]
    [InlineData("cookie")]
    [InlineData("set-cookie")]
    [InlineData("private_key")]
    [InlineData("credentials")]
    public void SensitiveKeyNames_AreMaskedWhole(string key)
    {
        var redacted = JsonNode.Parse(AuditRedactor.Arguments([new KeyValuePair<string, string>(key, "plain words")])!)!;
        Assert.Equal(AuditRedactor.Mask, redacted[key]!.GetValue<string>());
    }

    [Theory]
    [InlineData("text")]
    [InlineData("query")]
    [InlineData("path")]
    [InlineData("name")]
    [InlineData("keywords")]
    public void OrdinaryKeyNames_KeepTheirValues(string key)
    {
        var redacted = JsonNode.Parse(AuditRedactor.Arguments([new KeyValuePair<string, string>(key, "find the quarterly report in /srv/reports/2026")])!)!;
        Assert.Equal("find the quarterly report in /srv/reports/2026", redacted[key]!.GetValue<string>());
    }

    [Theory]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcDEF123_-x here", "eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("Authorization: Bearer abc.DEF-123_xyz~987", "abc.DEF-123_xyz~987")]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy==;EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy==")]
    [InlineData("Server=db.example;User Id=app;Password=s3cr3t-Pa55;", "s3cr3t-Pa55")]
    [InlineData("https://svc/blob?sv=2024&sig=AbCdEf0123456789%2B&se=2026", "AbCdEf0123456789%2B")]
    [InlineData("postgres://app:hunter2pass@db.example:5432/app", "hunter2pass")]
    [InlineData("the key is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ok", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("key=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEF", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEF")]
    [InlineData("use ghp_abcdefghijklmnopqrstuvwxyz0123456789 for it", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")]
    [InlineData("sk-proj-abcdefghijklmnop1234", "sk-proj-abcdefghijklmnop1234")]
    [InlineData("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("xoxb-123456789012-abcdefghij", "xoxb-123456789012-abcdefghij")]
    public void SecretLookingValues_AreReplaced_WhereverTheyAppear(string text, string secret)
    {
        var redacted = AuditRedactor.Text(text);
        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(AuditRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Summarise the meeting notes of 2026-03-14 for the sales team.")]
    [InlineData("/home/alice/projects/master-mcp/src/Shared/Gateway/GatewayHandlers.cs")]
    [InlineData("SELECT name, email FROM customers WHERE country = 'NL' ORDER BY name")]
    [InlineData("https://example.com/docs/getting-started?page=2")]
    [InlineData("550e8400-e29b-41d4-a716-446655440000")]
    public void OrdinaryText_IsLeftAlone(string text) => Assert.Equal(text, AuditRedactor.Text(text));

    [Fact]
    public void NestedObjectsAndArrays_AreRedactedAtEveryDepth_AndOtherTypesKept()
    {
        var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""
            {"query":"weather","count":3,"dry_run":true,"auth":{"token":"abc","user":"alice"},
             "headers":[{"name":"Authorization","value":"Bearer abcdefgh12345678"}],"tokens":["t1","t2"]}
            """)!;
        var redacted = JsonNode.Parse(AuditRedactor.Arguments(arguments)!)!;
        Assert.Equal("weather", redacted["query"]!.GetValue<string>());
        Assert.Equal(3, redacted["count"]!.GetValue<int>());
        Assert.True(redacted["dry_run"]!.GetValue<bool>());
        Assert.Equal(AuditRedactor.Mask, redacted["auth"]!["token"]!.GetValue<string>());
        Assert.Equal("alice", redacted["auth"]!["user"]!.GetValue<string>());
        Assert.Equal("Bearer " + AuditRedactor.Mask, redacted["headers"]![0]!["value"]!.GetValue<string>());
        Assert.Equal(AuditRedactor.Mask, redacted["tokens"]!.GetValue<string>());
    }

    [Fact]
    public void LongArguments_AreCut()
    {
        var text = AuditRedactor.Arguments([new KeyValuePair<string, string>("text", string.Concat(Enumerable.Repeat("lorem ipsum ", 2_000)))])!;
        Assert.True(text.Length < AuditRedactor.MaxArgumentChars + 20, text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("(truncated)", text, StringComparison.Ordinal);
    }
}
