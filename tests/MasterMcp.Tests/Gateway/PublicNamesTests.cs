using MasterMcp.Gateway;

namespace MasterMcp.Tests.Gateway;

public sealed class PublicNamesTests
{
    [Theory]
    [InlineData("github", "create_issue", "github__create_issue")]
    [InlineData("", "create_issue", "create_issue")]
    [InlineData("a-b", "x-y_z", "a-b__x-y_z")]
    public void ValidNames_AreJoinedWithTheSeparator(string prefix, string name, string expected) =>
        Assert.Equal(expected, PublicNames.For(prefix, name));

    [Fact]
    public void LongNamesSharingTheirFirst64Chars_BecomeDistinctValidNames_Deterministically()
    {
        var stem = new string('a', 64);
        var first = PublicNames.For("srv", stem + new string('1', 36));
        var second = PublicNames.For("srv", stem + new string('2', 36));
        Assert.NotEqual(first, second);
        Assert.True(PublicNames.IsValid(first), first);
        Assert.True(PublicNames.IsValid(second), second);
        Assert.Equal(64, first.Length);
        Assert.Equal(first, PublicNames.For("srv", stem + new string('1', 36)));
    }

    [Theory]
    [InlineData("srv", "tool.with.dots")]
    [InlineData("srv", "tool with spaces")]
    [InlineData("srv", "ünïcode")]
    [InlineData("", "a/b")]
    public void InvalidCharacters_AreReplaced_AndAHashKeepsThemDistinct(string prefix, string name)
    {
        var result = PublicNames.For(prefix, name);
        Assert.True(PublicNames.IsValid(result), result);
        Assert.NotEqual(result, PublicNames.For(prefix, name.Replace(name[^1], 'q')));
    }

    [Theory]
    [InlineData("srv", "long", "srv__aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_e3a0dae2")]
    [InlineData("srv", "tool.with.dots", "srv__tool_with_dots_3db0ce6c")]
    [InlineData("", "ünïcode", "_n_code_c4aa7f3e")]
    public void HashedNames_AreTheSameInEveryProcess(string prefix, string name, string expected)
    {
        // Fixed values: every instance (and every restart) must publish the same names, so the hash must not depend on the
        // process (string.GetHashCode would pass every other test here).
        var original = name == "long" ? new string('a', 64) + new string('1', 36) : name;
        Assert.Equal(expected, PublicNames.For(prefix, original));
    }

    [Fact]
    public void NamesThatSanitizeAlike_StayDistinct()
    {
        // "a.b" and "a_b" would both become "a_b" by replacement alone.
        Assert.NotEqual(PublicNames.For("s", "a.b"), PublicNames.For("s", "a_b"));
    }
}
