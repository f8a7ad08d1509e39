namespace MasterMcp.Configuration;

/// <summary>The whole gateway configuration, as validated against config/schema.json. Keys are snake_case in JSON.</summary>
/// <remarks>Setters, not init: the JSON source generator assigns every init-only property, which would replace defaults with null.</remarks>
public sealed record GatewayOptions
{
    public HostingOptions Hosting { get; set; } = new();
    public LoggingOptions Logging { get; set; } = new();
    public StorageSettings Storage { get; set; } = new();
    public SecretSettings Secrets { get; set; } = new();
    public SecurityOptions Security { get; set; } = new();
    public SessionOptions Sessions { get; set; } = new();
    public ScaleoutOptions Scaleout { get; set; } = new();
    public CredentialOptions Credentials { get; set; } = new();
    public AuditOptions Audit { get; set; } = new();
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>Who may use the admin console and API.</summary>
    public AdminOptions Admin { get; set; } = new();
    public AuthOptions? Auth { get; set; }

    /// <summary>tool_exposure of <c>/mcp</c>: "all" (every tool listed) or "search" (only search_tools and call_tool).</summary>
    public ToolExposure ToolExposure { get; set; } = ToolExposure.All;

    public IReadOnlyList<ServerOptions> Servers { get; set; } = [];

    /// <summary>Who may see and use which backends, tools, resources and prompts (see <see cref="PolicyOptions"/>).</summary>
    public IReadOnlyList<PolicyOptions> Policies { get; set; } = [];

    /// <summary>What an item no policy covers is: "allow" (the default) or "deny".</summary>
    public string PolicyDefault { get; set; } = "allow";

    /// <summary>Curated catalogs served at /mcp/{name}.</summary>
    public IReadOnlyList<VirtualServerOptions> VirtualServers { get; set; } = [];
}

/// <summary>Where and how the standalone (Kestrel) host listens.</summary>
public sealed record HostingOptions
{
    public string Host { get; set; } = "0.0.0.0";
    public int Port { get; set; } = 8080;
    public string? BaseUrl { get; set; }
    public int ShutdownTimeoutSeconds { get; set; } = 30;
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Seconds of silence after which an SSE response gets a comment line, so proxies keep it open (0: never).</summary>
    public int SseHeartbeatSeconds { get; set; } = 15;

    /// <summary>On shutdown, how long calls in flight may finish before this instance ends its sessions.</summary>
    public int DrainSeconds { get; set; } = 20;
}

/// <summary>Log level and format.</summary>
public sealed record LoggingOptions
{
    public string Level { get; set; } = "information";
    public string Format { get; set; } = "json";
}

/// <summary>Table Storage settings from the config file (the connection itself comes from AzureWebJobsStorage).</summary>
public sealed record StorageSettings
{
    /// <summary>"table" (Azure Table Storage / Azurite) or "memory" (Development only: one instance, nothing survives a restart).</summary>
    public string Provider { get; set; } = "table";

    public string? ConnectionString { get; set; }
    public string TablePrefix { get; set; } = "mastermcp";
    public double TimeoutSeconds { get; set; } = 5;
}

/// <summary>Key Vault location and how long resolved secrets are cached.</summary>
public sealed record SecretSettings
{
    public string? KeyVaultUri { get; set; }
    public int CacheTtlSeconds { get; set; } = 300;
}

/// <summary>Checks that run on every request in the shared pipeline.</summary>
public sealed record SecurityOptions
{
    public string? OriginSecret { get; set; }
    public string OriginSecretHeader { get; set; } = "X-Origin-Secret";
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary>Requests per minute to /mcp and the OAuth endpoints, per subject, client id and source address (shared across instances with Redis).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();
}

/// <summary>security.rate_limits: requests per minute; 0 turns a limit off.</summary>
public sealed record RateLimitOptions
{
    public int PerSubjectPerMinute { get; set; }
    public int PerClientPerMinute { get; set; }
    public int PerAddressPerMinute { get; set; }
}

/// <summary>Client session lifetime and stdio process limits.</summary>
public sealed record SessionOptions
{
    public int IdleTimeoutMinutes { get; set; } = 60;

    /// <summary>Idle timeout in seconds; wins over <see cref="IdleTimeoutMinutes"/> when set.</summary>
    public int? IdleTimeoutSeconds { get; set; }

    public int MaxStdioProcesses { get; set; } = 64;

    /// <summary>per_client stdio processes one user's sessions may hold together (not applied without auth, where there are no users).</summary>
    public int MaxStdioProcessesPerUser { get; set; } = 8;

    /// <summary>Events one SSE stream keeps for Last-Event-ID resumption; a client resuming from before the oldest one kept is refused.</summary>
    public int StreamBufferEvents { get; set; } = 1000;

    /// <summary>Client sessions one user may hold at once (all instances, with Redis); 0 turns the cap off. Not applied without auth.</summary>
    public int MaxSessionsPerUser { get; set; } = 64;

    /// <summary>Open GET streams one user may hold at once; 0 turns the cap off. Not applied without auth.</summary>
    public int MaxStreamsPerUser { get; set; } = 32;

    /// <summary>The idle timeout in force (seconds when set, else minutes).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan IdleTimeout => IdleTimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(IdleTimeoutMinutes);
}

/// <summary>Several instances serving one set of clients: the Redis backplane that carries messages to a session's owner.</summary>
public sealed record ScaleoutOptions
{
    /// <summary>StackExchange.Redis connection string, usually a secret reference (MASTER_REDIS). Null: one instance only.</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis channel and key, so deployments sharing one Redis stay apart.</summary>
    public string KeyPrefix { get; set; } = "mastermcp:";

    /// <summary>How long an instance waits for a session's owner to acknowledge a forwarded request.</summary>
    public double ForwardTimeoutSeconds { get; set; } = 5;

    /// <summary>While requests wait on other instances, how often their owners are checked to be alive.</summary>
    public double OwnerCheckSeconds { get; set; } = 2;
}

/// <summary>Per-user backend credentials: the key that encrypts stored tokens.</summary>
public sealed record CredentialOptions
{
    /// <summary>TOKEN_ENC_KEY: a base64 32-byte key or a key ring "kid1:base64,kid2:base64" (last is current); usually a secret reference.</summary>
    public string? TokenEncryptionKey { get; set; }

    /// <summary>How often expired token rows are removed on the standalone host (the Functions host uses a timer trigger).</summary>
    public int CleanupIntervalMinutes { get; set; } = 15;

    /// <summary>
    /// How long an instance uses its in-memory copy of a user's decrypted backend tokens before reading the store again
    /// (never past the access token's expiry); a connection removed or refreshed on another instance is seen within this
    /// time (on this instance at once). 0 reads the store every time.
    /// </summary>
    public int CacheSeconds { get; set; } = 5;
}

/// <summary>The audit trail: one event per MCP call and per OAuth grant, consent, backend connection and revocation.</summary>
public sealed record AuditOptions
{
    /// <summary>Include the call's arguments (redacted on a best-effort basis) in each event; off by default.</summary>
    public bool IncludeArguments { get; set; }

    /// <summary>Also write each event as a row of the <c>audit</c> table, off the request path.</summary>
    public bool Table { get; set; }

    /// <summary>Days an audit row is kept (from when it was written); expired rows are removed periodically.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>Events waiting to be written to the table; when full, new events are dropped (and counted), never waited for.</summary>
    public int QueueCapacity { get; set; } = 10_000;
}

/// <summary>OpenTelemetry: the Prometheus scrape endpoint and what the gateway's spans say about the user.</summary>
public sealed record TelemetryOptions
{
    /// <summary>Serve GET /metrics (Prometheus text). Off by default.</summary>
    public bool MetricsEndpoint { get; set; }

    /// <summary>Bearer token a scraper must present on /metrics whenever auth is on; a secret reference.</summary>
    public string? MetricsToken { get; set; }

    /// <summary>What the <c>enduser.id</c> span attribute holds: "hash" (a SHA-256 of issuer and subject), "subject" or "none".</summary>
    public string UserAttribute { get; set; } = "hash";
}
