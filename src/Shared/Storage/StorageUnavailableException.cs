namespace MasterMcp.Storage;

/// <summary>Table Storage could not be reached (network failure, timeout, refused credentials during a health check).</summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>Creates the exception for an endpoint (which must carry no secrets) and a reason.</summary>
    public StorageUnavailableException(string endpoint, string reason, Exception? innerException = null)
        : base($"Table Storage at {endpoint} is unreachable: {reason}", innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The storage endpoint, without credentials or query string.</summary>
    public string Endpoint { get; }
}
