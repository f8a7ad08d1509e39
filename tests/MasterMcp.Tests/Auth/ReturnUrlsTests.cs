using MasterMcp.Auth;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// Return URLs after login: only paths that a browser resolves to this gateway. The values are what the validator sees,
/// i.e. already decoded once from the query string.
/// </summary>
public sealed class ReturnUrlsTests
{
    public static TheoryData<string> Hostile =>
    [
        // What browsers drop or fold (WHATWG URL): "/\t/evil.example/x" resolves to http://evil.example/x.
        "/\t/evil.example/x", "/\r/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example/x", "/\v/evil.example/x", "/\f/evil.example/x",
        "/\u3000/evil.example/x", "/\u00a0/evil.example", "/\u2028/evil.example", "/\u0085/evil.example", "/x\0", "/x\u007f",
        "\t/evil.example/x", " /evil.example", "\t//evil.example",
        // Backslashes are slashes to a browser.
        "/\\evil.example/x", "\\\\evil.example/x", "/\\/evil.example", "\\/evil.example",
        // Percent-encoded forms of all of the above, once and twice.
        "/%09/evil.example/x", "/%0d/evil.example/x", "/%0A/evil.example/x", "/%0B/evil.example/x", "/%E3%80%80/evil.example/x",
        "/%5Cevil.example/x", "/%5c/evil.example", "/%2F/evil.example/x", "/%2f%2fevil.example", "/%252F/evil.example", "/%2509/evil.example",
        "/%25252F/evil.example",
        // Not paths at all.
        "//evil.example/x", "https://evil.example/x", "http:evil.example", "javascript:alert(1)", "evil.example", "", "/\"onmouseover=x",
        "/" + new string('a', ReturnUrls.MaxLength),
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_IsRefusedWithAReason(string value) => Assert.NotNull(ReturnUrls.Problem(value));

    [Theory]
    [InlineData("/")]
    [InlineData("/connections")]
    [InlineData("/connections?x=1")]
    [InlineData("/connect?id=Ab-_09")]
    [InlineData("/auth/session")]
    [InlineData("/search?q=a%2Fb&r=%3F#top")]
    public void LocalPath_IsAccepted(string value) => Assert.Null(ReturnUrls.Problem(value));

    [Fact]
    public void Problem_NamesTheCharacterAndPosition_WithoutEchoingTheInput()
    {
        Assert.Equal("contains control character U+0009 at position 1; only printable ASCII without '\\', quotes, '<', '>', '`', '^', '{', '|' and '}' is accepted",
            ReturnUrls.Problem("/\t/evil.example/x"));
        Assert.Equal("would leave this gateway: it starts with '//' or '/\\' (a protocol-relative URL) once percent-decoded", ReturnUrls.Problem("/%2F/evil.example"));
    }
}
