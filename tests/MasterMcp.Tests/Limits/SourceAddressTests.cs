using System.Net;
using MasterMcp.Limits;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Tests.Limits;

/// <summary>How the source address of a request is read and partitioned (issue 13 item 10), table-driven.</summary>
public sealed class SourceAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData(" 203.0.113.7 ", "203.0.113.7")]
    [InlineData("203.0.113.7:51234", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("[::ffff:203.0.113.7]:443", "203.0.113.7")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("[2001:db8:1:2::3]:8443", "2001:db8:1:2::/64")]
    [InlineData("fe80::1%eth0", "fe80::/64")]
    [InlineData("not-an-address", null)]
    [InlineData("", null)]
    [InlineData("[2001:db8::1", null)]
    [InlineData("1.2.3.4.5", null)]
    [InlineData("1.2.3.4:99999", "1.2.3.4")]
    public void ForwardedValues_AreParsedAndPartitioned(string header, string? partition)
    {
        var context = Context("10.0.0.1", verified: true, ("CF-Connecting-IP", header));

        // An unreadable value falls back to the connection's address, never to an error.
        Assert.Equal(partition ?? "10.0.0.1", SourceAddress.PartitionOf(SourceAddress.Of(context)));
    }

    [Theory]
    [InlineData("198.51.100.1, 203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.7, 198.51.100.20", "198.51.100.20")]
    [InlineData("198.51.100.1,203.0.113.7:80", "203.0.113.7")]
    [InlineData("garbage, also garbage", "10.0.0.1")]
    public void XForwardedFor_TheLastEntryCounts(string header, string partition)
    {
        Assert.Equal(partition, SourceAddress.PartitionOf(SourceAddress.Of(Context("10.0.0.1", verified: true, ("X-Forwarded-For", header)))));
    }

    [Fact]
    public void CfConnectingIp_WinsOverXForwardedFor()
    {
        var context = Context("10.0.0.1", verified: true, ("CF-Connecting-IP", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.1"));

        Assert.Equal("203.0.113.9", SourceAddress.PartitionOf(SourceAddress.Of(context)));
    }

    [Fact]
    public void WithoutAVerifiedOriginSecret_ForwardingHeadersAreIgnored()
    {
        var context = Context("::ffff:10.0.0.1", verified: false, ("CF-Connecting-IP", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.1"));

        Assert.Equal("10.0.0.1", SourceAddress.PartitionOf(SourceAddress.Of(context)));
    }

    private static DefaultHttpContext Context(string remote, bool verified, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }
        if (verified)
        {
            context.Items[SourceAddress.OriginVerifiedItem] = true;
        }
        return context;
    }
}
