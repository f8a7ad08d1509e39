using MasterMcp.Hosting;

namespace MasterMcp.Gateway;

/// <summary>/ready waits for backends marked <c>required</c>; the others are reported but do not block readiness.</summary>
public sealed class BackendsReadinessCheck(Catalog catalog) : IReadinessCheck
{
    /// <inheritdoc />
    public string Name => "backends";

    /// <inheritdoc />
    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var snapshot = await catalog.GetAsync(cancellationToken);
        var down = snapshot.Backends.Where(b => b.State != Backends.BackendState.Connected).ToList();
        var requiredDown = down.Where(b => b.Required).ToList();
        var status = down.Count == 0
            ? $"{snapshot.Backends.Count} connected"
            : $"{snapshot.Backends.Count - down.Count}/{snapshot.Backends.Count} connected; down: " + string.Join(", ", down.Select(b => $"{b.Id}{(b.Required ? " (required)" : "")}: {b.LastError}"));
        return new ReadinessResult(requiredDown.Count == 0, status);
    }
}
