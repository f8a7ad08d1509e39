namespace MasterMcp.Tests.Conformance;

/// <summary>xunit fixture owning one <see cref="ConformanceServerProcess"/> for a test class.</summary>
public sealed class ConformanceServerFixture : IAsyncLifetime
{
    private ConformanceServerProcess? _server;

    /// <summary>The running server; only valid between InitializeAsync and DisposeAsync.</summary>
    public ConformanceServerProcess Server => _server ?? throw new InvalidOperationException("The conformance server has not been started.");

    public async Task InitializeAsync() => _server = await ConformanceServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
