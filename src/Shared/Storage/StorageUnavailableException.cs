namespace MasterMcp.Storage;

/// <summary>Table Storage could not be reached (network failure, timeout, refused credentials during a health check).</summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>Seconds a caller is told to wait (Retry-After) before trying again while storage is unreachable.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>What a caller is told: names storage, but not the endpoint or the underlying error (those are logged).</summary>
    public const string PublicMessage =
        "Storage (Azure Table Storage) is unavailable, so the gateway cannot serve this request now; retry in a few seconds.";

    /// <summary>Creates the exception for an endpoint (which must carry no secrets) and a reason.</summary>
    public StorageUnavailableException(string endpoint, string reason, Exception? innerException = null)
        : base($"Table Storage at {endpoint} is unreachable: {reason}", innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The storage endpoint, without credentials or query string.</summary>
    public string Endpoint { get; }
}
