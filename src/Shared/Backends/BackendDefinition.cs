namespace MasterMcp.Backends;

/// <summary>How the gateway reaches a backend.</summary>
public enum BackendKind
{
    Http,
    Stdio,
}

/// <summary>Who owns a backend session.</summary>
public enum BackendSessionMode
{
    /// <summary>One backend session per downstream client session (the default: server→client requests reach the right client).</summary>
    PerClient,

    /// <summary>One backend session shared by every client; only for backends that never send requests to the client.</summary>
    Shared,
}

/// <summary>
/// A backend server, normalized from its configuration entry (shortcuts expanded, defaults applied). Compares
/// structurally, collections included, so a reload restarts only the backends whose definition changed.
/// </summary>
public sealed record BackendDefinition
{
    public required string Id { get; init; }
    public required BackendKind Kind { get; init; }

    /// <summary>The prefix of its public names and URIs; empty means none.</summary>
    public required string Prefix { get; init; }

    public Uri? Url { get; init; }

    /// <summary>auto, streamable_http or sse.</summary>
    public string Transport { get; init; } = "auto";

    public string? Command { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? WorkingDirectory { get; init; }

    /// <summary>HTTP headers; values may be secret references.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the shared session is pinged; zero disables the probe.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(10);
    public BackendSessionMode SessionMode { get; init; } = BackendSessionMode.PerClient;
    public bool Required { get; init; }
    public string? ProtocolVersion { get; init; }

    /// <summary>bypass_auth, delegate_oauth, proxy_oauth or master_oauth.</summary>
    public string AuthStrategy { get; init; } = "bypass_auth";

    /// <summary>The typed <c>auth_config</c>.</summary>
    public Configuration.BackendAuthConfig AuthConfig { get; init; } = new();

    /// <summary>True when each user reaches this backend with their own token (one transport per user and backend, per-user catalog).</summary>
    public bool UsesUserCredentials => AuthStrategy != "bypass_auth";

    /// <summary>A human-readable description of the endpoint, without secrets.</summary>
    public string Endpoint => Kind == BackendKind.Http ? Url!.GetLeftPart(UriPartial.Path) : Command + (Args.Count > 0 ? " " + string.Join(' ', Args) : "");

    /// <inheritdoc />
    public bool Equals(BackendDefinition? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Id == other.Id
                && Kind == other.Kind
                && Prefix == other.Prefix
                && Url == other.Url
                && Transport == other.Transport
                && Command == other.Command
                && Configuration.CollectionEquality.Equals(Args, other.Args)
                && Configuration.CollectionEquality.Equals(Environment, other.Environment)
                && WorkingDirectory == other.WorkingDirectory
                && Configuration.CollectionEquality.Equals(Headers, other.Headers)
                && Timeout == other.Timeout
                && HealthCheckInterval == other.HealthCheckInterval
                && SessionMode == other.SessionMode
                && Required == other.Required
                && ProtocolVersion == other.ProtocolVersion
                && AuthStrategy == other.AuthStrategy
                && AuthConfig == other.AuthConfig));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Id);
        hash.Add(Kind);
        hash.Add(Prefix);
        hash.Add(Url);
        hash.Add(Transport);
        hash.Add(Command);
        hash.Add(Configuration.CollectionEquality.GetHashCode(Args));
        hash.Add(Configuration.CollectionEquality.GetHashCode(Environment));
        hash.Add(WorkingDirectory);
        hash.Add(Configuration.CollectionEquality.GetHashCode(Headers));
        hash.Add(Timeout);
        hash.Add(HealthCheckInterval);
        hash.Add(SessionMode);
        hash.Add(Required);
        hash.Add(ProtocolVersion);
        hash.Add(AuthStrategy);
        hash.Add(AuthConfig);
        return hash.ToHashCode();
    }
}
