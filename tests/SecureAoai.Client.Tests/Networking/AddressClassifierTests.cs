using System.Net;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Networking;

public sealed class AddressClassifierTests
{
    [Theory]
    [InlineData("10.0.0.1", AddressClass.Private)]
    [InlineData("10.255.255.255", AddressClass.Private)]
    [InlineData("172.16.0.1", AddressClass.Private)]
    [InlineData("172.31.255.255", AddressClass.Private)]
    [InlineData("172.32.0.1", AddressClass.Public)]
    [InlineData("172.15.255.255", AddressClass.Public)]
    [InlineData("192.168.1.1", AddressClass.Private)]
    [InlineData("192.169.0.1", AddressClass.Public)]
    [InlineData("100.64.0.1", AddressClass.Private)]
    [InlineData("100.127.255.255", AddressClass.Private)]
    [InlineData("100.128.0.1", AddressClass.Public)]
    [InlineData("100.63.255.255", AddressClass.Public)]
    [InlineData("127.0.0.1", AddressClass.Loopback)]
    [InlineData("127.8.9.10", AddressClass.Loopback)]
    [InlineData("169.254.169.254", AddressClass.LinkLocal)]
    [InlineData("20.42.0.1", AddressClass.Public)]
    [InlineData("168.63.129.16", AddressClass.Public)]
    [InlineData("0.0.0.0", AddressClass.Reserved)]
    [InlineData("224.0.0.1", AddressClass.Reserved)]
    [InlineData("255.255.255.255", AddressClass.Reserved)]
    [InlineData("::1", AddressClass.Loopback)]
    [InlineData("::", AddressClass.Reserved)]
    [InlineData("fd00::1", AddressClass.Private)]
    [InlineData("fc12:3456::1", AddressClass.Private)]
    [InlineData("fe80::1", AddressClass.LinkLocal)]
    [InlineData("febf::1", AddressClass.LinkLocal)]
    [InlineData("fec0::1", AddressClass.Public)]
    [InlineData("ff02::1", AddressClass.Reserved)]
    [InlineData("2603:1030::1", AddressClass.Public)]
    [InlineData("::ffff:10.1.2.3", AddressClass.Private)]
    [InlineData("::ffff:20.1.2.3", AddressClass.Public)]
    public void Classify_Address_ReturnsItsClass(string address, AddressClass expected) =>
        Assert.Equal(expected, AddressClassifier.Classify(IPAddress.Parse(address)));
}
