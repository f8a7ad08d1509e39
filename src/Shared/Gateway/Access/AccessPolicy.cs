using MasterMcp.Auth;
using MasterMcp.Configuration;

namespace MasterMcp.Gateway.Access;

/// <summary>
/// <c>policies[]</c>, <c>policy_default</c> and every backend's <c>required_scopes</c>, compiled. Precedence for one item
/// and one user: a backend whose <c>required_scopes</c> the user lacks is denied; else a matching deny rule covering the
/// item denies it (whatever the order of the rules); else a matching allow rule allows it; else <c>policy_default</c>.
/// </summary>
public sealed class AccessPolicy
{
    private readonly Rule[] _rules;
    private readonly bool _allowByDefault;
    private readonly Dictionary<string, IReadOnlyList<string>> _requiredScopes;

    private AccessPolicy(Rule[] rules, bool allowByDefault, Dictionary<string, IReadOnlyList<string>> requiredScopes)
    {
        _rules = rules;
        _allowByDefault = allowByDefault;
        _requiredScopes = requiredScopes;
    }

    /// <summary>Nothing configured: everyone sees everything.</summary>
    public bool IsOpen => _rules.Length == 0 && _allowByDefault && _requiredScopes.Count == 0;

    /// <summary>Compiles the access part of a configuration.</summary>
    public static AccessPolicy From(GatewayOptions options) => new(
        [.. options.Policies.Select((p, i) => Rule.From(p, i))],
        options.PolicyDefault != "deny",
        options.Servers.Where(s => s.RequiredScopes is { Count: > 0 }).ToDictionary(s => s.Id, s => s.RequiredScopes!, StringComparer.Ordinal));

    /// <summary>What <paramref name="user"/> (null: no token, auth off) may see: the rules that match them, evaluated per item.</summary>
    public UserAccess For(GatewayUser? user)
    {
        if (IsOpen)
        {
            return UserAccess.Everything;
        }
        var denied = _requiredScopes.Where(p => user is null || !user.HasScopes(p.Value)).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        return new UserAccess([.. _rules.Where(r => r.Applies(user))], _allowByDefault, denied);
    }

    /// <summary>The rules that apply to one user.</summary>
    public sealed class UserAccess
    {
        /// <summary>No rules: everything is allowed.</summary>
        public static readonly UserAccess Everything = new([], true, []);

        private readonly Rule[] _rules;
        private readonly bool _allowByDefault;
        private readonly HashSet<string> _deniedBackends;

        internal UserAccess(Rule[] rules, bool allowByDefault, HashSet<string> deniedBackends)
        {
            _rules = rules;
            _allowByDefault = allowByDefault;
            _deniedBackends = deniedBackends;
        }

        /// <summary>True when nothing is denied to this user.</summary>
        public bool AllowsEverything => _rules.Length == 0 && _allowByDefault && _deniedBackends.Count == 0;

        /// <summary>True when the user may see and use this item.</summary>
        public bool Allows(CatalogItemKind kind, string publicName, string backendId)
        {
            if (_deniedBackends.Contains(backendId))
            {
                return false;
            }
            var allowed = false;
            foreach (var rule in _rules)
            {
                if (rule.Covers(kind, publicName, backendId))
                {
                    if (rule.Deny)
                    {
                        return false;
                    }
                    allowed = true;
                }
            }
            return allowed || _allowByDefault;
        }

        /// <summary>
        /// Why this item is hidden from the user — the backend's <c>required_scopes</c>, the deny rule (by name or
        /// <c>policies[i]</c>), or <c>policy_default</c> — or null when it is visible. Same precedence as <see cref="Allows"/>.
        /// </summary>
        public string? WhyHidden(CatalogItemKind kind, string publicName, string backendId)
        {
            if (_deniedBackends.Contains(backendId))
            {
                return $"servers[id={backendId}].required_scopes: the user lacks a required scope";
            }
            var allowed = false;
            foreach (var rule in _rules)
            {
                if (rule.Covers(kind, publicName, backendId))
                {
                    if (rule.Deny)
                    {
                        return rule.Label + ": deny";
                    }
                    allowed = true;
                }
            }
            return allowed || _allowByDefault ? null : "policy_default: deny (no allow rule covers it)";
        }
    }

    internal sealed class Rule
    {
        private readonly GlobList? _subjects;
        private readonly (string Type, HashSet<string> Values)[] _claims;
        private readonly IReadOnlyList<string> _scopes;
        private readonly GlobList _backends;
        private readonly GlobList _tools;
        private readonly GlobList _resources;
        private readonly GlobList _prompts;

        private Rule(bool deny, GlobList? subjects, (string, HashSet<string>)[] claims, IReadOnlyList<string> scopes, GlobList backends, GlobList tools, GlobList resources, GlobList prompts)
        {
            Deny = deny;
            _subjects = subjects;
            _claims = claims;
            _scopes = scopes;
            _backends = backends;
            _tools = tools;
            _resources = resources;
            _prompts = prompts;
        }

        public bool Deny { get; }

        /// <summary>The rule as an admin finds it in the file: <c>policies[i]</c> plus its name when it has one.</summary>
        public string Label { get; private init; } = "";

        private bool HasCriteria => _subjects is not null || _claims.Length > 0 || _scopes.Count > 0;

        public static Rule From(PolicyOptions options, int index) => new(
            options.Effect == "deny",
            options.Match?.Subjects is { Count: > 0 } subjects ? new GlobList(subjects) : null,
            [.. (options.Match?.Claims ?? new Dictionary<string, IReadOnlyList<string>>()).Select(p => (p.Key, p.Value.ToHashSet(StringComparer.Ordinal)))],
            options.Match?.Scopes ?? [],
            new GlobList(options.Backends), new GlobList(options.Tools), new GlobList(options.Resources), new GlobList(options.Prompts))
        {
            Label = "policies[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]" + (options.Name is { Length: > 0 } name ? " (" + name + ")" : ""),
        };

        /// <summary>Every criterion holds for the user; a rule without criteria applies to everyone, a user-less request matches no criteria.</summary>
        public bool Applies(GatewayUser? user)
        {
            if (!HasCriteria)
            {
                return true;
            }
            if (user is null)
            {
                return false;
            }
            if (_subjects is not null && !_subjects.Matches(user.Subject))
            {
                return false;
            }
            foreach (var (type, values) in _claims)
            {
                if (!user.Claims.TryGetValue(type, out var held) || !held.Any(values.Contains))
                {
                    return false;
                }
            }
            return user.HasScopes(_scopes);
        }

        public bool Covers(CatalogItemKind kind, string publicName, string backendId) =>
            _backends.Matches(backendId) || kind switch
            {
                CatalogItemKind.Tool => _tools.Matches(publicName),
                CatalogItemKind.Prompt => _prompts.Matches(publicName),
                _ => _resources.Matches(publicName),
            };
    }
}
