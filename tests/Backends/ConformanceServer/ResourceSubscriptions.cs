using System.Collections.Concurrent;

namespace ConformanceServer;

/// <summary>Which resource URIs each session subscribed to (stdio has no session id and uses one shared key).</summary>
public sealed class ResourceSubscriptions
{
    private const string StdioSessionKey = "(stdio)";
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _bySession = new();

    /// <summary>Records a subscription.</summary>
    public void Add(string? sessionId, string uri) =>
        _bySession.GetOrAdd(sessionId ?? StdioSessionKey, _ => new()).TryAdd(uri, 0);

    /// <summary>Drops a subscription; unknown ones are ignored.</summary>
    public void Remove(string? sessionId, string uri)
    {
        if (_bySession.TryGetValue(sessionId ?? StdioSessionKey, out var uris))
        {
            uris.TryRemove(uri, out _);
        }
    }

    /// <summary>Whether the session is subscribed to the URI.</summary>
    public bool Contains(string? sessionId, string uri) =>
        _bySession.TryGetValue(sessionId ?? StdioSessionKey, out var uris) && uris.ContainsKey(uri);
}
