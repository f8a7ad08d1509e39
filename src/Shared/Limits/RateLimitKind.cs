namespace MasterMcp.Limits;

/// <summary>What a request is counted by under security.rate_limits.</summary>
public enum RateLimitKind
{
    /// <summary>The authenticated user (issuer + subject).</summary>
    Subject,

    /// <summary>The OAuth client (the token's client, or client_id of an OAuth request).</summary>
    Client,

    /// <summary>The source address (IPv6 by /64).</summary>
    Address,

    /// <summary>Dynamic client registrations (POST /register) by source address (IPv6 by /64).</summary>
    Registration,
}

/// <summary>Names of <see cref="RateLimitKind"/> in configuration and errors.</summary>
public static class RateLimitKinds
{
    /// <summary>The word clients see ("subject", "client", "address"): never the partition's value.</summary>
    public static string Name(this RateLimitKind kind) => kind switch
    {
        RateLimitKind.Subject => "subject",
        RateLimitKind.Client => "client",
        RateLimitKind.Registration => "registration",
        _ => "address",
    };

    /// <summary>The setting that limits this kind, under security.rate_limits (registrations: under auth.registration).</summary>
    public static string Setting(this RateLimitKind kind) => kind switch
    {
        RateLimitKind.Subject => "per_subject_per_minute",
        RateLimitKind.Client => "per_client_per_minute",
        _ => "per_address_per_minute",
    };
}

/// <summary>One rate-limit partition: its kind, its key (a user key, client id or address partition) and the limit in force.</summary>
public readonly record struct RatePartition(RateLimitKind Kind, string Key, int PerMinute);
