using MasterMcp.Auth;
using MasterMcp.Configuration;
using MasterMcp.Gateway;
using MasterMcp.Gateway.Access;
using ModelContextProtocol.Protocol;

namespace MasterMcp.Tests.Policies;

/// <summary>The rules of <c>policies[]</c>, <c>required_scopes</c> and virtual servers, on the compiled classes themselves.</summary>
public sealed class AccessPolicyTests
{
    private static readonly GatewayUser Dev = new("https://idp", "dev-1", ["mcp"], null) { Claims = Groups("dev") };
    private static readonly GatewayUser Ops = new("https://idp", "ops-1", ["mcp", "admin"], null) { Claims = Groups("ops", "dev-readers") };

    private static Dictionary<string, IReadOnlyList<string>> Groups(params string[] groups) => new(StringComparer.Ordinal) { ["groups"] = groups };

    private static PolicyOptions Rule(string effect, string[]? tools = null, string[]? backends = null, string[]? resources = null, string[]? groups = null, string[]? subjects = null, string[]? scopes = null) => new()
    {
        Effect = effect,
        Tools = tools,
        Backends = backends,
        Resources = resources,
        Match = groups is null && subjects is null && scopes is null ? null : new PolicyMatchOptions
        {
            Claims = groups is null ? null : new Dictionary<string, IReadOnlyList<string>> { ["groups"] = groups },
            Subjects = subjects,
            Scopes = scopes,
        },
    };

    private static AccessPolicy Policy(string policyDefault = "allow", params PolicyOptions[] rules) =>
        AccessPolicy.From(new GatewayOptions { Policies = rules, PolicyDefault = policyDefault });

    [Fact]
    public void DenyBeatsAllow_WhateverTheOrderOfTheRules()
    {
        var allowFirst = Policy("deny", Rule("allow", tools: ["github__*"]), Rule("deny", tools: ["*__delete_*"]));
        var denyFirst = Policy("deny", Rule("deny", tools: ["*__delete_*"]), Rule("allow", tools: ["github__*"]));

        foreach (var policy in new[] { allowFirst, denyFirst })
        {
            var access = policy.For(Dev);
            Assert.True(access.Allows(CatalogItemKind.Tool, "github__create_issue", "github"));
            Assert.False(access.Allows(CatalogItemKind.Tool, "github__delete_repo", "github"));
        }
    }

    [Fact]
    public void Default_AppliesOnlyWhereNoMatchingRuleCoversTheItem()
    {
        var open = Policy("allow", Rule("deny", tools: ["a__x"], groups: ["ops"]));
        var closed = Policy("deny", Rule("allow", backends: ["a"], groups: ["dev"]));

        Assert.True(open.For(Dev).Allows(CatalogItemKind.Tool, "a__x", "a"));   // the deny rule matches ops only
        Assert.False(open.For(Ops).Allows(CatalogItemKind.Tool, "a__x", "a"));
        Assert.True(open.For(Ops).Allows(CatalogItemKind.Tool, "a__y", "a"));
        Assert.True(closed.For(Dev).Allows(CatalogItemKind.Prompt, "a__greeting", "a")); // a backend glob covers every kind
        Assert.False(closed.For(Dev).Allows(CatalogItemKind.Tool, "b__x", "b"));
        Assert.False(closed.For(Ops).Allows(CatalogItemKind.Tool, "a__x", "a"));
        Assert.False(closed.For(null).Allows(CatalogItemKind.Tool, "a__x", "a"));   // no user: rules with criteria never match
    }

    [Fact]
    public void Match_EveryCriterionMustHold_ClaimsAnyValue_ScopesAll_SubjectsGlob()
    {
        var policy = Policy("deny",
            Rule("allow", tools: ["t1"], groups: ["nobody", "dev-readers"]),
            Rule("allow", tools: ["t2"], scopes: ["mcp", "admin"]),
            Rule("allow", tools: ["t3"], subjects: ["dev-*"]),
            Rule("allow", tools: ["t4"], subjects: ["dev-*"], groups: ["ops"]));

        Assert.True(policy.For(Ops).Allows(CatalogItemKind.Tool, "t1", "b"));
        Assert.False(policy.For(Dev).Allows(CatalogItemKind.Tool, "t1", "b"));
        Assert.True(policy.For(Ops).Allows(CatalogItemKind.Tool, "t2", "b"));
        Assert.False(policy.For(Dev).Allows(CatalogItemKind.Tool, "t2", "b"));   // has mcp, lacks admin
        Assert.True(policy.For(Dev).Allows(CatalogItemKind.Tool, "t3", "b"));
        Assert.False(policy.For(Ops).Allows(CatalogItemKind.Tool, "t3", "b"));
        Assert.False(policy.For(Dev).Allows(CatalogItemKind.Tool, "t4", "b"));   // subject matches, group does not
    }

    [Fact]
    public void ResourceGlobs_CoverResourcesOnly_ToolGlobsToolsOnly()
    {
        var policy = Policy("allow", Rule("deny", resources: ["mcp://a/file://*"]));
        var access = policy.For(Dev);

        Assert.False(access.Allows(CatalogItemKind.Resource, "mcp://a/file:///etc/passwd", "a"));
        Assert.True(access.Allows(CatalogItemKind.Resource, "mcp://a/http://x", "a"));
        Assert.True(access.Allows(CatalogItemKind.Tool, "mcp://a/file://x", "a"));
    }

    [Fact]
    public void RequiredScopes_HideTheBackendFromUsersWithoutThem_EvenWhenARuleAllows()
    {
        var options = new GatewayOptions
        {
            Servers = [new ServerOptions { Id = "admin", Url = "http://x", RequiredScopes = ["admin"] }],
            Policies = [Rule("allow", backends: ["*"])],
        };
        var policy = AccessPolicy.From(options);

        Assert.True(policy.For(Ops).Allows(CatalogItemKind.Tool, "admin__x", "admin"));
        Assert.False(policy.For(Dev).Allows(CatalogItemKind.Tool, "admin__x", "admin"));
        Assert.False(policy.For(null).Allows(CatalogItemKind.Tool, "admin__x", "admin"));
        Assert.True(policy.For(Dev).Allows(CatalogItemKind.Tool, "other__x", "other"));
    }

    [Fact]
    public void NoPolicies_AllowEverything()
    {
        Assert.True(Policy().IsOpen);
        Assert.True(Policy().For(null).AllowsEverything);
    }

    [Fact]
    public void VirtualServer_IncludesByNameOrBackend_ExcludeWins()
    {
        var server = VirtualServer.From(new VirtualServerOptions { Name = "dev", Include = ["alpha", "beta__echo", "mcp://beta/*"], Exclude = ["*__add"] });

        Assert.True(server.Shows("alpha__echo", "alpha"));
        Assert.False(server.Shows("alpha__add", "alpha"));
        Assert.True(server.Shows("beta__echo", "beta"));
        Assert.False(server.Shows("beta__slow", "beta"));
        Assert.True(server.Shows("mcp://beta/sample://info", "beta"));
        Assert.Equal("dev", server.Title);
    }

    [Fact]
    public void CatalogView_ListsAndLookupsAgree()
    {
        var tool = (string name, string backend) => new CatalogTool(name, backend, name, new Tool { Name = name, InputSchema = System.Text.Json.JsonDocument.Parse("{\"type\":\"object\"}").RootElement });
        var tools = new[] { tool("a__echo", "a"), tool("a__add", "a"), tool("b__echo", "b") };
        var snapshot = new CatalogSnapshot
        {
            Tools = tools,
            Prompts = [],
            Resources = [],
            Templates = [],
            Collisions = [],
            Backends = [],
            ToolsByName = tools.ToDictionary(t => t.PublicName),
            PromptsByName = new Dictionary<string, CatalogPrompt>(),
            ResourcesByUri = new Dictionary<string, CatalogResource>(),
            TemplatesByUri = new Dictionary<string, CatalogTemplate>(),
        };
        var view = new CatalogView(snapshot, Policy("allow", Rule("deny", tools: ["*__add"])).For(Dev),
            VirtualServer.From(new VirtualServerOptions { Name = "v", Include = ["a"] }));

        Assert.Equal(["a__echo"], view.Tools.Select(t => t.PublicName));
        Assert.NotNull(view.FindTool("a__echo"));
        Assert.Null(view.FindTool("a__add"));   // denied by policy
        Assert.Null(view.FindTool("b__echo"));  // not in the virtual server
    }
}
