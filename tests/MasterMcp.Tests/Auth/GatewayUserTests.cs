using MasterMcp.Auth;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Tests.Auth;

/// <summary>The authenticated user as routing sees it.</summary>
public sealed class GatewayUserTests
{
    [Fact]
    public void AttachedUser_IsAvailableFromItemsAndFromThePrincipal()
    {
        var user = new GatewayUser("https://idp.example", "alice", ["mcp"], "client-1") { Name = "Alice" };
        var context = new DefaultHttpContext();
        user.AttachTo(context);

        Assert.Same(user, GatewayUser.From(context));
        var fromPrincipal = GatewayUser.FromPrincipal(context.User);
        Assert.NotNull(fromPrincipal);
        Assert.Equal(user.Key, fromPrincipal.Key);
        Assert.Equal(["mcp"], fromPrincipal.Scopes);
        Assert.Equal("client-1", fromPrincipal.ClientId);
        Assert.Equal(user.Key, context.User.FindFirst(GatewayUser.KeyClaimType)!.Value);
    }

    [Fact]
    public void Key_DependsOnIssuerAndSubject()
    {
        Assert.NotEqual(new GatewayUser("https://a", "bob", [], null).Key, new GatewayUser("https://b", "bob", [], null).Key);
        Assert.Equal(new GatewayUser("https://a", "bob", ["x"], "c1").Key, new GatewayUser("https://a", "bob", [], null).Key);
    }
}
