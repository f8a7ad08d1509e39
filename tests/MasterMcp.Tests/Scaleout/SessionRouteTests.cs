using System.Text;
using MasterMcp.Scaleout;

namespace MasterMcp.Tests.Scaleout;

/// <summary>Session ids that name their owner: readable by the user they were issued to, by every instance, and by no one else.</summary>
public sealed class SessionRouteTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    [Fact]
    public void Issued_ReadsBackToOwnerAndLocalId_ForTheSameUser()
    {
        var id = SessionRoute.Issue(Key, "a1b2c3d4e5f6", "Yde-M6sXMiSv0wAFuMRW1g", "user-1");
        Assert.True(SessionRoute.TryRead(Key, id, "user-1", out var route));
        Assert.Equal(new SessionRoute("a1b2c3d4e5f6", "Yde-M6sXMiSv0wAFuMRW1g"), route);
    }

    [Fact]
    public void Issued_IsTheSameOnEveryInstanceAndInEveryProcess()
    {
        // A fixed expectation: instances (and restarts) must agree, so nothing process-specific may enter the MAC.
        Assert.Equal("a1b2c3d4e5f6.Yde-M6sXMiSv0wAFuMRW1g.MdwnvSJ3Tqkt4XN7Jddh7Q", SessionRoute.Issue(Key, "a1b2c3d4e5f6", "Yde-M6sXMiSv0wAFuMRW1g", "user-1"));
    }

    [Theory]
    [InlineData("user-2")]
    [InlineData(null)]
    public void Issued_IsUnreadable_ForAnotherUserOrAnonymous(string? presenter)
    {
        var id = SessionRoute.Issue(Key, "a1b2c3d4e5f6", "local", "user-1");
        Assert.False(SessionRoute.TryRead(Key, id, presenter, out _));
    }

    [Fact]
    public void IssuedAtAVirtualServer_IsReadableThereOnly()
    {
        var id = SessionRoute.Issue(Key, "a1b2c3d4e5f6", "local", "user-1", "dev");

        Assert.True(SessionRoute.TryRead(Key, id, "user-1", "dev", out var route));
        Assert.Equal("local", route.LocalId);
        Assert.False(SessionRoute.TryRead(Key, id, "user-1", out _));              // /mcp
        Assert.False(SessionRoute.TryRead(Key, id, "user-1", "other", out _));
        Assert.False(SessionRoute.TryRead(Key, SessionRoute.Issue(Key, "a1b2c3d4e5f6", "local", "user-1"), "user-1", "dev", out _));
    }

    [Fact]
    public void Issued_IsUnreadable_WithAnotherDeploymentsKey()
    {
        var id = SessionRoute.Issue(Key, "a1b2c3d4e5f6", "local", null);
        Assert.False(SessionRoute.TryRead(Encoding.ASCII.GetBytes("another key, another deployment!"), id, null, out _));
    }

    [Theory]
    [InlineData("ffffffffffff.local.")]
    [InlineData("")]
    [InlineData("local")]
    [InlineData(".local.mac")]
    [InlineData("owner..mac")]
    [InlineData("owner.local")]
    public void Malformed_IsUnreadable(string presented) => Assert.False(SessionRoute.TryRead(Key, presented, null, out _));

    [Fact]
    public void AnyChangedPart_IsUnreadable()
    {
        var id = SessionRoute.Issue(Key, "a1b2c3d4e5f6", "local", null);
        var parts = id.Split('.');
        Assert.False(SessionRoute.TryRead(Key, $"a1b2c3d4e5f7.{parts[1]}.{parts[2]}", null, out _));
        Assert.False(SessionRoute.TryRead(Key, $"{parts[0]}.locam.{parts[2]}", null, out _));
        Assert.False(SessionRoute.TryRead(Key, $"{parts[0]}.{parts[1]}.{parts[2][..^1]}B", null, out _));
    }
}
