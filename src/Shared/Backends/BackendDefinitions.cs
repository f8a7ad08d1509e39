using MasterMcp.Configuration;

namespace MasterMcp.Backends;

/// <summary>Turns <c>servers[]</c> entries into <see cref="BackendDefinition"/>s, expanding the npm/pypi/docker shortcuts.</summary>
public static class BackendDefinitions
{
    /// <summary>The definitions of every enabled server; throws <see cref="ConfigurationException"/> when a launcher is missing.</summary>
    public static IReadOnlyList<BackendDefinition> From(GatewayOptions options, Func<string, bool>? launcherExists = null)
    {
        launcherExists ??= IsOnPath;
        var errors = new List<string>();
        var result = new List<BackendDefinition>();
        for (var i = 0; i < options.Servers.Count; i++)
        {
            var server = options.Servers[i];
            if (!server.Enabled)
            {
                continue;
            }
            var definition = From(server);
            if (definition.Kind == BackendKind.Stdio && server.Type is "npm" or "pypi" or "docker" && !launcherExists(definition.Command!))
            {
                errors.Add($"servers[{i}] ('{server.Id}'): type '{server.Type}' runs '{definition.Command}', which is not installed or not on PATH");
                continue;
            }
            result.Add(definition);
        }
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }
        return result;
    }

    /// <summary>The definition of one server entry.</summary>
    public static BackendDefinition From(ServerOptions server)
    {
        var (command, args) = server.Type switch
        {
            "npm" => ("npx", new List<string> { "-y", Versioned(server.Package!, server.Version, "@") }),
            "pypi" => ("uvx", new List<string> { Versioned(server.Package!, server.Version, "@") }),
            "docker" => ("docker", new List<string> { "run", "-i", "--rm", Versioned(server.Image ?? server.Package!, server.Version, ":") }),
            _ => (server.Command, new List<string>()),
        };
        args.AddRange(server.Args ?? []);
        var isHttp = server.Url is not null;
        return new BackendDefinition
        {
            Id = server.Id,
            Kind = isHttp ? BackendKind.Http : BackendKind.Stdio,
            Prefix = server.Prefix ?? server.Id,
            Url = isHttp ? new Uri(server.Url!) : null,
            Transport = server.Transport ?? "auto",
            Command = isHttp ? null : command,
            Args = isHttp ? [] : args,
            Environment = server.Config?.Environment ?? new Dictionary<string, string>(),
            WorkingDirectory = server.Config?.WorkingDirectory,
            Headers = server.Headers ?? new Dictionary<string, string>(),
            Timeout = TimeSpan.FromMilliseconds(server.TimeoutMs ?? 30_000),
            HealthCheckInterval = TimeSpan.FromSeconds(server.HealthCheckSeconds ?? 10),
            SessionMode = server.Session == "shared" ? BackendSessionMode.Shared : BackendSessionMode.PerClient,
            Required = server.Required,
            ProtocolVersion = server.ProtocolVersion,
            AuthStrategy = server.AuthStrategy ?? "bypass_auth",
            AuthConfig = BackendAuthConfig.From(server.AuthConfig),
        };
    }

    private static string Versioned(string package, string? version, string separator) =>
        string.IsNullOrEmpty(version) ? package : package + separator + version;

    /// <summary>True when an executable of this name is on PATH (or the name is a path to an existing file).</summary>
    public static bool IsOnPath(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command);
        }
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, command)));
    }
}
