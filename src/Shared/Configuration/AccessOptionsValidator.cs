using System.Globalization;

namespace MasterMcp.Configuration;

/// <summary>Checks of <c>policies</c>, <c>virtual_servers</c> and <c>servers[].required_scopes</c> that the schema cannot express.</summary>
public static class AccessOptionsValidator
{
    /// <summary>Every problem as (dotted path, message).</summary>
    public static IEnumerable<(string Path, string Message)> Validate(GatewayOptions options)
    {
        var authOn = AuthOptionsValidator.EffectiveMode(options) is "jwt" or "gateway";
        for (var i = 0; i < options.Policies.Count; i++)
        {
            var policy = options.Policies[i];
            var at = "policies[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (policy.Backends is not { Count: > 0 } && policy.Tools is not { Count: > 0 } && policy.Resources is not { Count: > 0 } && policy.Prompts is not { Count: > 0 })
            {
                yield return (at, "a policy must name what it " + (policy.Effect == "deny" ? "denies" : "allows") + ": at least one of 'backends', 'tools', 'resources', 'prompts'");
            }
            var match = policy.Match;
            var hasCriteria = match is not null && (match.Subjects is { Count: > 0 } || match.Claims is { Count: > 0 } || match.Scopes is { Count: > 0 });
            if (hasCriteria && !authOn)
            {
                yield return (at + ".match", "matches users, but auth.mode is 'none' (no users): set auth.mode to 'jwt' or 'gateway', or drop 'match' to apply the rule to everyone");
            }
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.VirtualServers.Count; i++)
        {
            var server = options.VirtualServers[i];
            var at = "virtual_servers[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (!names.Add(server.Name))
            {
                yield return (at + ".name", $"virtual server name '{server.Name}' is used more than once (names are compared ignoring case)");
            }
            if (server.Include.Count == 0)
            {
                yield return (at + ".include", $"virtual server '{server.Name}' includes nothing: list globs of the tools, prompts, resources or backend ids it serves ('*' for everything)");
            }
            if (server.Audiences is { Count: > 0 } && AuthOptionsValidator.EffectiveMode(options) != "jwt")
            {
                yield return (at + ".audiences", "only applies in auth.mode 'jwt' (in gateway mode the gateway issues the tokens for each virtual server's own URL)");
            }
        }
        for (var i = 0; i < options.Servers.Count; i++)
        {
            if (options.Servers[i].RequiredScopes is { Count: > 0 } && !authOn)
            {
                yield return ("servers[" + i.ToString(CultureInfo.InvariantCulture) + "].required_scopes", "needs auth.mode 'jwt' or 'gateway' (without auth no request has scopes, so the backend would be hidden from everyone)");
            }
        }
    }
}
