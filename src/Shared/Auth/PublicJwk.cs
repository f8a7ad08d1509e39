namespace MasterMcp.Auth;

/// <summary>A public key as published in the JWKS.</summary>
public sealed record PublicJwk(string Kty, string Kid, string Use, string Alg, string? N, string? E, string? Crv, string? X, string? Y);
