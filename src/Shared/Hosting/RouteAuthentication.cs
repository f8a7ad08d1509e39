namespace MasterMcp.Hosting;

/// <summary>What a route needs from the caller when authentication is on.</summary>
public enum RouteAuthentication
{
    /// <summary>A valid token with the required scopes (the default: new routes are protected unless declared otherwise).</summary>
    Required,

    /// <summary>Anonymous callers are served (with less detail); a token, when sent, must be valid.</summary>
    Optional,

    /// <summary>Open: health, discovery documents and the authorization server's own endpoints.</summary>
    None,
}
