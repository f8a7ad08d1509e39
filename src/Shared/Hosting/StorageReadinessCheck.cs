using MasterMcp.Storage;

namespace MasterMcp.Hosting;

/// <summary>/ready waits for Table Storage to answer.</summary>
public sealed class StorageReadinessCheck(IStoreFactory stores) : IReadinessCheck
{
    /// <inheritdoc />
    public string Name => "storage";

    /// <inheritdoc />
    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await stores.CheckAsync(cancellationToken);
            return new ReadinessResult(true, "ok");
        }
        catch (Exception ex) when (ex is StorageUnavailableException or OperationCanceledException)
        {
            return new ReadinessResult(false, ex is OperationCanceledException ? "timed out" : ex.Message);
        }
    }
}
