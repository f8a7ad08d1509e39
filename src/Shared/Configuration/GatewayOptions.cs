using System.Text.Json.Nodes;

namespace MasterMcp.Configuration;

/// <summary>The whole gateway configuration, as validated against config/schema.json. Keys are snake_case in JSON.</summary>
public sealed record GatewayOptions
{
    public HostingOptions Hosting { get; init; } = new();
    public LoggingOptions Logging { get; init; } = new();
    public StorageSettings Storage { get; init; } = new();
    public SecretSettings Secrets { get; init; } = new();
    public SecurityOptions Security { get; init; } = new();
    public SessionOptions Sessions { get; init; } = new();
    public JsonObject? Auth { get; init; }
    public IReadOnlyList<ServerOptions> Servers { get; init; } = [];
}

/// <summary>Where and how the standalone (Kestrel) host listens.</summary>
public sealed record HostingOptions
{
    public string Host { get; init; } = "0.0.0.0";
    public int Port { get; init; } = 8080;
    public string? BaseUrl { get; init; }
    public int ShutdownTimeoutSeconds { get; init; } = 30;
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;
}

/// <summary>Log level and format.</summary>
public sealed record LoggingOptions
{
    public string Level { get; init; } = "information";
    public string Format { get; init; } = "json";
}

/// <summary>Table Storage settings from the config file (the connection itself comes from AzureWebJobsStorage).</summary>
public sealed record StorageSettings
{
    public string? ConnectionString { get; init; }
    public string TablePrefix { get; init; } = "mastermcp";
    public double TimeoutSeconds { get; init; } = 5;
}

/// <summary>Key Vault location and how long resolved secrets are cached.</summary>
public sealed record SecretSettings
{
    public string? KeyVaultUri { get; init; }
    public int CacheTtlSeconds { get; init; } = 300;
}

/// <summary>Checks that run on every request in the shared pipeline.</summary>
public sealed record SecurityOptions
{
    public string? OriginSecret { get; init; }
    public string OriginSecretHeader { get; init; } = "X-Origin-Secret";
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
}

/// <summary>Client session lifetime and stdio process limits.</summary>
public sealed record SessionOptions
{
    public int IdleTimeoutMinutes { get; init; } = 60;
    public int MaxStdioProcesses { get; init; } = 64;
}
