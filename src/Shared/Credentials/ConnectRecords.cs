using System.Text.Json.Serialization;

namespace MasterMcp.Credentials;

/// <summary>A connect link issued to one user for one backend (row key: hash of the link id). Only hashes of the user are stored.</summary>
public sealed record ConnectLink(string UserKey, string BackendId, string ElicitationId);

/// <summary>An authorization request to a backend's provider in flight (row key: hash of the state). The PKCE verifier is encrypted.</summary>
public sealed record ConnectState(string UserKey, string BackendId, string ElicitationId, string ProtectedVerifier, string BindingHash);

[JsonSerializable(typeof(ConnectLink))]
[JsonSerializable(typeof(ConnectState))]
internal sealed partial class ConnectJsonContext : JsonSerializerContext;
