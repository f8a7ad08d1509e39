using System.Globalization;

namespace MasterMcp.Configuration;

/// <summary>Checks that a schema cannot express: unique server ids, one transport per server, backend auth strategies and their auth_config, policies and virtual servers.</summary>
public static class GatewayOptionsValidator
{
    /// <summary>Every problem as (dotted path, message).</summary>
    public static IEnumerable<(string Path, string Message)> Validate(GatewayOptions options, string environmentName = "Development")
    {
        foreach (var problem in AuthOptionsValidator.Validate(options, environmentName))
        {
            yield return problem;
        }
        if (options.Telemetry.MetricsEndpoint && options.Auth?.Mode is { } mode && mode != "none" && string.IsNullOrEmpty(options.Telemetry.MetricsToken))
        {
            yield return ("telemetry.metrics_token", $"is required when telemetry.metrics_endpoint is true and auth.mode is '{mode}': scrapers must present it as a bearer token (use a secret reference)");
        }
        foreach (var problem in AccessOptionsValidator.Validate(options))
        {
            yield return problem;
        }
        foreach (var problem in ValidateAdmin(options.Admin))
        {
            yield return problem;
        }
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Servers.Count; i++)
        {
            var server = options.Servers[i];
            var at = "servers[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (!ids.Add(server.Id))
            {
                yield return (at + ".id", $"server id '{server.Id}' is used more than once");
            }
            var kind = server.Type;
            var hasUrl = !string.IsNullOrEmpty(server.Url);
            var hasCommand = !string.IsNullOrEmpty(server.Command);
            switch (kind)
            {
                case "npm" or "pypi":
                    if (string.IsNullOrEmpty(server.Package))
                    {
                        yield return (at + ".package", $"type '{kind}' needs 'package'");
                    }
                    break;
                case "docker":
                    if (string.IsNullOrEmpty(server.Image) && string.IsNullOrEmpty(server.Package))
                    {
                        yield return (at + ".image", "type 'docker' needs 'image'");
                    }
                    break;
                default:
                    if (hasUrl == hasCommand)
                    {
                        yield return (at, "a server needs exactly one of 'url' (HTTP) or 'command' (stdio)");
                    }
                    else if (hasUrl && !(Uri.TryCreate(server.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
                    {
                        yield return (at + ".url", "must be an absolute http or https URL");
                    }
                    break;
            }
            if (server.Transport is not null and not "auto" && !hasUrl)
            {
                yield return (at + ".transport", "only applies to servers with a 'url'");
            }
            foreach (var problem in BackendAuthValidator.Validate(server, at, options))
            {
                yield return problem;
            }
        }
    }

    // admin.subjects and admin.roles compare exactly (ordinal): a stray space or a duplicate is a typo, not an intent.
    private static IEnumerable<(string Path, string Message)> ValidateAdmin(AdminOptions admin)
    {
        foreach (var (key, values) in new[] { ("subjects", admin.Subjects), ("roles", admin.Roles) })
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < values.Count; i++)
            {
                var at = "admin." + key + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                if (string.IsNullOrWhiteSpace(values[i]) || values[i].Trim() != values[i])
                {
                    yield return (at, $"'{values[i]}' is empty or has leading or trailing spaces; values are compared exactly");
                }
                else if (!seen.Add(values[i]))
                {
                    yield return (at, $"'{values[i]}' is listed more than once");
                }
            }
        }
    }
}
