using System.Net;
using System.Net.Sockets;

namespace MasterMcp.Net;

/// <summary>
/// The one SSRF guard for fetches of URLs that someone other than the operator chose (client metadata documents, a backend's
/// discovery documents): a <see cref="SocketsHttpHandler.ConnectCallback"/> that resolves the host itself and connects only
/// to public addresses (<see cref="SpecialPurposeAddresses"/>), so the address checked is the address connected to (no DNS
/// rebinding between check and connect). A request may be allowed private addresses with <see cref="AllowPrivate"/>.
/// </summary>
public static class OutboundAddressGuard
{
    /// <summary>Request option: this request may connect to special-purpose addresses (the operator vouched for its origin).</summary>
    public static readonly HttpRequestOptionsKey<bool> AllowPrivate = new("mcpgw.allow-private-address");

    /// <summary>A handler without redirects, proxy or cookies whose connections pass the guard.</summary>
    public static SocketsHttpHandler CreateHandler(Func<SocketsHttpConnectionContext, bool>? allowPrivate = null) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ConnectCallback = (context, ct) => ConnectAsync(context, allowPrivate?.Invoke(context) == true || IsAllowedByRequest(context), ct),
    };

    /// <summary>Resolves, refuses special-purpose addresses unless <paramref name="allowPrivate"/>, and connects.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new RefusedAddressException($"'{host}' does not resolve");
        }
        var usable = allowPrivate ? addresses : addresses.Where(SpecialPurposeAddresses.IsPublic).ToArray();
        if (usable.Length == 0)
        {
            throw new RefusedAddressException(
                $"refused to connect to '{host}': it resolves to an address that is not public ({addresses[0]}, {SpecialPurposeAddresses.Classify(addresses[0])})");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The guard's refusal inside an <see cref="HttpRequestException"/>, or null.</summary>
    public static RefusedAddressException? FindRefusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is RefusedAddressException refusal)
            {
                return refusal;
            }
        }
        return null;
    }

    /// <summary>True when some address of <paramref name="host"/> is not public (the operator's own network).</summary>
    public static async Task<bool> IsPrivateHostAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return !SpecialPurposeAddresses.IsPublic(literal);
        }
        try
        {
            return (await Dns.GetHostAddressesAsync(host, cancellationToken)).Any(a => !SpecialPurposeAddresses.IsPublic(a));
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsAllowedByRequest(SocketsHttpConnectionContext context) =>
        context.InitialRequestMessage.Options.TryGetValue(AllowPrivate, out var allowed) && allowed;
}
