using MasterMcp.Hosting;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Auth;

/// <summary>
/// Authenticates a request inside <see cref="GatewayPipeline"/> (so both hosts enforce it): a bearer token from the
/// Authorization header only, validated, with the route's required scopes; the user is attached to the request.
/// </summary>
public sealed class RequestAuthenticator(AuthSettingsProvider settings, AccessTokenValidator validator)
{
    /// <summary>Throws <see cref="GatewayHttpException"/> (401/403/400 with WWW-Authenticate) when the request may not proceed.</summary>
    public async Task AuthenticateAsync(HttpContext context, GatewayRoute route)
    {
        var current = settings.Current;
        if (!current.Enabled || route.Authentication == RouteAuthentication.None)
        {
            return;
        }
        // At /mcp/{name} the challenge points to that virtual server's metadata and its audiences are accepted.
        var virtualServer = Gateway.Access.CatalogAccess.RequestVirtualServer(context);
        var name = virtualServer?.Name;
        if (context.Request.Query.ContainsKey("access_token"))
        {
            throw Refuse(current, route, name, StatusCodes.Status400BadRequest, "invalid_request", "Access tokens are only accepted in the Authorization header, never in the query string.");
        }
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            if (route.Authentication == RouteAuthentication.Optional)
            {
                return;
            }
            Observability.GatewayMetrics.RecordAuthFailure("missing_token", route.Name);
            throw new GatewayHttpException(StatusCodes.Status401Unauthorized, "unauthorized", "This endpoint needs a bearer token; see the resource metadata in WWW-Authenticate.")
            {
                Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = current.Challenge(virtualServer: name) },
            };
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw Refuse(current, route, name, StatusCodes.Status401Unauthorized, "invalid_request", "The Authorization header must use the Bearer scheme.");
        }
        var result = await validator.ValidateAsync(header[7..].Trim(), context.RequestAborted, virtualServer is null ? null : current.AudiencesFor(virtualServer));
        if (result.User is null)
        {
            throw Refuse(current, route, name, StatusCodes.Status401Unauthorized, "invalid_token", result.Error ?? "the token is invalid");
        }
        if (route.Authentication == RouteAuthentication.Required && !result.User.HasScopes(current.Auth.RequiredScopes))
        {
            throw Refuse(current, route, name, StatusCodes.Status403Forbidden, "insufficient_scope", $"This endpoint needs the scopes '{string.Join(' ', current.Auth.RequiredScopes)}'.");
        }
        result.User.AttachTo(context);
    }

    private static GatewayHttpException Refuse(AuthSettings current, GatewayRoute route, string? virtualServer, int status, string error, string description)
    {
        Observability.GatewayMetrics.RecordAuthFailure(error, route.Name);
        return new(status, error, description) { Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = current.Challenge(error, description, virtualServer) } };
    }
}
