using MasterMcp.Auth;
using MasterMcp.Backends;
using MasterMcp.Hosting;
using ModelContextProtocol;

namespace MasterMcp.Audit;

/// <summary>
/// One MCP call being audited: the handler names the backend and original name once it resolved them, and ends the scope
/// exactly once — <see cref="Ok"/>, <see cref="ToolError"/>, <see cref="Refused"/> or <see cref="Fail"/>.
/// </summary>
public sealed class AuditScope
{
    private readonly AuditTrail _trail;
    private string? _refusal;
    private int _ended;

    internal AuditScope(AuditTrail trail, AuditAction action, GatewayUser? user, string? publicName, string? arguments, long startedAt)
    {
        _trail = trail;
        Action = action;
        User = user;
        PublicName = publicName;
        Arguments = arguments;
        StartedAt = startedAt;
    }

    public AuditAction Action { get; }

    public GatewayUser? User { get; }

    public string? PublicName { get; }

    public string? Arguments { get; }

    public long StartedAt { get; }

    public string? Backend { get; private set; }

    public string? OriginalName { get; private set; }

    /// <summary>The call resolved to <paramref name="backend"/>, where it is called <paramref name="originalName"/>.</summary>
    public void Target(string backend, string? originalName)
    {
        Backend = backend;
        OriginalName = originalName;
    }

    /// <summary>Marks the call as refused before it reached a backend; the error thrown next ends the scope with this reason.</summary>
    public void Refuse(string reason) => _refusal = reason;

    /// <summary>The call succeeded.</summary>
    public void Ok() => End(AuditOutcome.Ok, null, null);

    /// <summary>The tool answered with <c>isError: true</c>.</summary>
    public void ToolError() => End(AuditOutcome.Error, null, "the tool returned an error result");

    /// <summary>The call was refused without an exception reaching the client as an error (a tool result carrying a connect link).</summary>
    public void Refused(string reason) => End(AuditOutcome.Refused, null, reason);

    /// <summary>The call ended with <paramref name="exception"/>: refused (unknown name, backend unavailable, consent required) or failed.</summary>
    public void Fail(Exception exception)
    {
        var code = (exception as McpProtocolException)?.ErrorCode is { } c ? (int)c : (int?)null;
        if (_refusal is not null)
        {
            End(AuditOutcome.Refused, code, _refusal);
        }
        else if (exception is ModelContextProtocol.Protocol.InputRequiredException)
        {
            End(AuditOutcome.InputRequired, code, "waiting for the client's input (input-required result)");
        }
        else if (exception is UrlElicitationRequiredException)
        {
            End(AuditOutcome.Refused, code, "consent required: the user must connect their account");
        }
        else if (ExceptionChain.Find<BackendUnavailableException>(exception) is { } unavailable)
        {
            End(AuditOutcome.Refused, code, "backend unavailable: " + unavailable.Message);
        }
        else if (exception is OperationCanceledException)
        {
            End(AuditOutcome.Error, code, "cancelled");
        }
        else
        {
            End(AuditOutcome.Error, code, exception.Message);
        }
    }

    private void End(AuditOutcome outcome, int? code, string? reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            _trail.Complete(this, outcome, code, reason);
        }
    }
}
