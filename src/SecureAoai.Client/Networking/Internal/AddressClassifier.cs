using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Sorts addresses into <see cref="AddressClass"/>es by their prefix.</summary>
internal static class AddressClassifier
{
    public static AddressClass Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ClassifyV4(address),
            AddressFamily.InterNetworkV6 => ClassifyV6(address),
            _ => AddressClass.Reserved,
        };
    }

    private static AddressClass ClassifyV4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return b[0] switch
        {
            0 => AddressClass.Reserved,
            10 => AddressClass.Private,
            100 when (b[1] & 0xC0) == 64 => AddressClass.Private,
            127 => AddressClass.Loopback,
            169 when b[1] == 254 => AddressClass.LinkLocal,
            172 when (b[1] & 0xF0) == 16 => AddressClass.Private,
            192 when b[1] == 168 => AddressClass.Private,
            >= 224 => AddressClass.Reserved,
            _ => AddressClass.Public,
        };
    }

    private static AddressClass ClassifyV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return AddressClass.Loopback;
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return AddressClass.Reserved;
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        return b[0] switch
        {
            0xFF => AddressClass.Reserved,
            0xFE when (b[1] & 0xC0) == 0x80 => AddressClass.LinkLocal,
            0xFC or 0xFD => AddressClass.Private,
            _ => AddressClass.Public,
        };
    }
}
