using System.Net;
using System.Net.Sockets;
using MasterMcp.Net;
using MasterMcp.Tests.Fixtures;

namespace MasterMcp.Tests.Auth;

/// <summary>
/// The one SSRF guard (issue 13 item 9): every special-purpose range of both families is refused after DNS resolution,
/// IPv4 embedded in IPv6 included, and a refused fetch never reaches the target (a listener sees no connection).
/// </summary>
[Collection("azurite")]
public sealed class SsrfGuardTests(AzuriteFixture azurite)
{
    [Theory]
    // IPv4
    [InlineData("0.0.0.0", "this network")]
    [InlineData("10.1.2.3", "private-use")]
    [InlineData("100.64.0.1", "shared address space (CGNAT)")]
    [InlineData("100.127.255.254", "shared address space (CGNAT)")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("172.16.0.1", "private-use")]
    [InlineData("172.31.255.255", "private-use")]
    [InlineData("192.0.0.170", "IETF protocol assignments")]
    [InlineData("192.0.2.1", "documentation (TEST-NET-1)")]
    [InlineData("192.31.196.1", "AS112-v4")]
    [InlineData("192.52.193.1", "AMT")]
    [InlineData("192.88.99.1", "6to4 relay anycast (deprecated)")]
    [InlineData("192.168.1.1", "private-use")]
    [InlineData("192.175.48.1", "AS112 direct delegation")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("198.19.255.255", "benchmarking")]
    [InlineData("198.51.100.1", "documentation (TEST-NET-2)")]
    [InlineData("203.0.113.1", "documentation (TEST-NET-3)")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("240.0.0.1", "reserved (and limited broadcast)")]
    [InlineData("255.255.255.255", "reserved (and limited broadcast)")]
    [InlineData("8.8.8.8", null)]
    [InlineData("1.1.1.1", null)]
    [InlineData("100.63.255.255", null)]
    [InlineData("100.128.0.0", null)]
    [InlineData("172.15.255.255", null)]
    [InlineData("172.32.0.0", null)]
    [InlineData("198.20.0.0", null)]
    // IPv6, IPv4 embeddings first
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.0.0.1", "private-use")]
    [InlineData("::ffff:8.8.8.8", null)]
    [InlineData("::7f00:1", "IPv4-compatible IPv6 (deprecated)")]
    [InlineData("::a9fe:a9fe", "IPv4-compatible IPv6 (deprecated)")]
    [InlineData("::ffff:0:7f00:1", "IPv4-translated (SIIT)")]
    [InlineData("64:ff9b::7f00:1", "NAT64 well-known prefix")]
    [InlineData("64:ff9b::808:808", "NAT64 well-known prefix")]
    [InlineData("64:ff9b:1::7f00:1", "NAT64 local-use prefix")]
    [InlineData("2002:7f00:1::1", "6to4")]
    [InlineData("2002:a9fe:a9fe::1", "6to4")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("100::1", "discard-only")]
    [InlineData("2001:2::1", "IETF protocol assignments")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("5f00::1", "SRv6 SIDs")]
    [InlineData("fc00::1", "unique local")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fe80::1%2", "link-local")]
    [InlineData("fec0::1", "site-local (deprecated)")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("4000::1", "outside IPv6 global unicast (2000::/3)")]
    [InlineData("2606:4700:4700::1111", null)]
    [InlineData("2a00:1450:4001::1", null)]
    public void Classify_NamesEverySpecialPurposeRange_AndPassesPublicUnicast(string address, string? range)
    {
        Assert.Equal(range, SpecialPurposeAddresses.Classify(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("[::ffff:7f00:1]")]
    [InlineData("[::7f00:1]")]
    [InlineData("[2002:7f00:1::1]")]
    [InlineData("[64:ff9b::7f00:1]")]
    [InlineData("2130706433")] // 127.0.0.1 as one decimal number
    [InlineData("0x7f000001")]
    [InlineData("127.1")]
    public async Task ClientMetadataDocument_OnANonPublicAddress_IsRefused_AndTheListenerSeesNoConnection(string host)
    {
        await using var bed = await GatewayModeBed.StartAsync(azurite.ConnectionString);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var clientId = $"https://{host}:{port}/client.json";
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(AuthTestKit.AuthorizeUrl(bed.Gateway.BaseUrl, clientId, AuthTestKit.Pkce().Challenge));
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        // The answer came after any connection attempt would have been made: a connection would be waiting here.
        Assert.False(listener.Pending(), "the gateway connected to the listener");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("not public", page, StringComparison.Ordinal);
        Assert.Contains("(SSRF guard)", page, StringComparison.Ordinal);
    }
}
