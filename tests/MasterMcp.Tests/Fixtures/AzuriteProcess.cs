namespace MasterMcp.Tests.Fixtures;

/// <summary>
/// A private Azurite instance the test owns, as a handle: a thin wrapper over <see cref="AzuriteFixture"/> (the one place
/// Azurite is started). Stop it to simulate a storage outage; disposing kills it.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly AzuriteFixture _azurite;

    private AzuriteProcess(AzuriteFixture azurite) => _azurite = azurite;

    /// <summary>The table service port.</summary>
    public int Port => _azurite.Port;

    /// <summary>A connection string for this instance's table endpoint.</summary>
    public string ConnectionString => _azurite.ConnectionString;

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _azurite.IsRunning;

    /// <summary>Starts azurite-table on <paramref name="fixedPort"/> (a free one when null) and waits until the port accepts connections.</summary>
    /// <remarks>Starting a new instance on a stopped one's <see cref="Port"/> simulates storage coming back (with empty tables).</remarks>
    public static async Task<AzuriteProcess> StartAsync(int? fixedPort = null) => new(await AzuriteFixture.StartNewAsync(fixedPort));

    /// <summary>Kills Azurite (storage outage) and waits for it to exit.</summary>
    public Task StopAsync() => _azurite.StopAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _azurite.DisposeAsync();
}
