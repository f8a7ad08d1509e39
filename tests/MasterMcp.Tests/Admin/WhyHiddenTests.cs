using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Gateway.Access;

namespace MasterMcp.Tests.Admin;

/// <summary>AccessPolicy.UserAccess.WhyHidden: the reason an item is hidden, with the same precedence as Allows.</summary>
public sealed class WhyHiddenTests
{
    private static readonly GatewayOptions Options = new()
    {
        Servers = [new ServerOptions { Id = "ops", Url = "https://ops.example/mcp", RequiredScopes = ["ops"] }, new ServerOptions { Id = "gh", Url = "https://gh.example/mcp" }],
        Policies =
        [
            new PolicyOptions { Effect = "allow", Backends = ["gh"] },
            new PolicyOptions { Name = "no-deletes", Effect = "deny", Tools = ["*__delete_*"] },
        ],
        PolicyDefault = "deny",
    };

    [Theory]
    [InlineData("gh__list", "gh", null)]
    [InlineData("gh__delete_repo", "gh", "policies[1] (no-deletes): deny")]
    [InlineData("ops__restart", "ops", "servers[id=ops].required_scopes: the user lacks a required scope")]
    [InlineData("other__x", "other", "policy_default: deny (no allow rule covers it)")]
    public void NamesTheRuleThatHides_AndAgreesWithAllows(string tool, string backend, string? expected)
    {
        var access = AccessPolicy.From(Options).For(new GatewayUser("https://idp.example", "alice", ["mcp"], null));

        Assert.Equal(expected, access.WhyHidden(CatalogItemKind.Tool, tool, backend));
        Assert.Equal(expected is null, access.Allows(CatalogItemKind.Tool, tool, backend));
    }
}
