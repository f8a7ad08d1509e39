using MasterMcp.Gateway;

namespace MasterMcp.Tests.Gateway;

public sealed class ResourceUrisTests
{
    [Theory]
    [InlineData("ev", "test://static/resource/1")]
    [InlineData("my_server-2", "file:///home/user/a b.txt")]
    [InlineData("x", "https://example.com/a?b=c#d")]
    [InlineData("t", "test://items/{id}")]
    public void Rewriting_IsReversible(string prefix, string uri)
    {
        var rewritten = ResourceUris.ToPublic(prefix, uri);
        Assert.StartsWith("mcp://" + prefix + "/", rewritten, StringComparison.Ordinal);
        Assert.True(ResourceUris.TryParse(rewritten, out var parsedPrefix, out var original));
        Assert.Equal(prefix, parsedPrefix);
        Assert.Equal(uri, original);
    }

    [Fact]
    public void EmptyPrefix_LeavesUrisAlone() => Assert.Equal("test://a", ResourceUris.ToPublic("", "test://a"));

    [Fact]
    public void RewrittenUris_AreValidAbsoluteUris() =>
        Assert.True(Uri.TryCreate(ResourceUris.ToPublic("my_server-2", "test://static/resource/1"), UriKind.Absolute, out _));
}
