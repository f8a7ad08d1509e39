using System.Net;
using System.Net.Sockets;

namespace MasterMcp.Tests.Fixtures;

/// <summary>Finds a loopback TCP port that nothing listens on right now.</summary>
public static class FreePort
{
    /// <summary>A port the OS just handed out and released.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
