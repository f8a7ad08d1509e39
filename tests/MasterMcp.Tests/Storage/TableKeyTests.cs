using MasterMcp.Storage;

namespace MasterMcp.Tests.Storage;

public sealed class TableKeyTests
{
    private static readonly string[] Inputs =
    [
        "",
        "plain",
        "with space",
        "a/b",
        "a%2Fb",
        "%2F",
        "/",
        "%",
        "%%",
        "a\\b",
        "a#b",
        "a?b",
        "https://login.example.com/tenant/v2.0?x=1#frag",
        "a/b\\c#d?e",
        "tab\tnew\nline\u007f\u0085",
        "ünïcødé — 日本語 🔑",
        "h_",
        "h_abc",
        "%68_abc",
        "h",
        "hx",
        TableKey.Hash("anything"),
        new string('k', 255),
        new string('k', 256),
        new string('k', 2000),
        new string('k', 2001),
        new string('/', 85),
        new string('/', 86),
    ];

    public static TheoryData<string> InputData => [.. Inputs];

    [Theory]
    [MemberData(nameof(InputData))]
    public void Encode_NeverEmitsForbiddenCharacters_AndStaysShort(string input)
    {
        var encoded = TableKey.Encode(input);

        Assert.DoesNotContain(encoded, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));
        Assert.True(encoded.Length <= TableKey.MaxEncodedLength, $"{encoded.Length} chars");
        Assert.Equal(encoded, TableKey.Encode(input));
    }

    [Theory]
    [MemberData(nameof(InputData))]
    public void Encode_ShortKeys_DecodeBack(string input)
    {
        var encoded = TableKey.Encode(input);

        if (TableKey.TryDecode(encoded, out var decoded))
        {
            Assert.Equal(input, decoded);
        }
        else
        {
            Assert.StartsWith("h_", encoded, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Encode_DistinctInputs_GiveDistinctOutputs()
    {
        var outputs = Inputs.Select(TableKey.Encode).ToList();

        Assert.Equal(Inputs.Length, outputs.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Encode_LeavesSafeKeysUnchanged_AndEscapesForbiddenOnes()
    {
        Assert.Equal("plain-key_1", TableKey.Encode("plain-key_1"));
        Assert.Equal("a%2Fb%5Cc%23d%3Fe%25", TableKey.Encode("a/b\\c#d?e%"));
        Assert.Equal("%68_abc", TableKey.Encode("h_abc"));
    }

    [Fact]
    public void Encode_LongKeys_AreHashed()
    {
        var key = new string('k', 2000);

        Assert.Equal(TableKey.Hash(key), TableKey.Encode(key));
        Assert.Equal(TableKey.Hash(new string('/', 86)), TableKey.Encode(new string('/', 86)));
    }

    [Fact]
    public void Hash_IsDeterministicBase64UrlOfSha256()
    {
        var hash = TableKey.Hash("https://issuer.example.com/");

        Assert.Equal(45, hash.Length);
        Assert.StartsWith("h_", hash, StringComparison.Ordinal);
        Assert.Equal(hash, TableKey.Hash("https://issuer.example.com/"));
        Assert.NotEqual(hash, TableKey.Hash("https://issuer.example.com"));
        Assert.All(hash, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }
}
