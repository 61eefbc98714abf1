using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Overlay.Internal;

/// <summary>
/// Counts open connections per source so one host cannot take every slot of a listener. A source is
/// an IPv4 address (IPv4-mapped IPv6 included) or an IPv6 /64: one host usually holds a whole /64,
/// so counting single IPv6 addresses would let it open as many sources as it likes.
/// </summary>
internal sealed class ConnectionsPerSource(int maxPerSource)
{
    private const int Ipv6PrefixBytes = 8;
    private static readonly IPAddress UnknownSource = IPAddress.None;

    private readonly CountPerKey<IPAddress> _open = new(maxPerSource);

    /// <summary>The source a connection from <paramref name="remote"/> counts against.</summary>
    public static IPAddress SourceOf(EndPoint? remote)
    {
        if (remote is not IPEndPoint { Address: var address })
        {
            return UnknownSource;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[Ipv6PrefixBytes..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>Counts one more connection from <paramref name="source"/>, unless it already has the most allowed.</summary>
    public bool TryAdd(IPAddress source) => _open.TryAdd(source);

    /// <summary>Counts one connection from <paramref name="source"/> as closed.</summary>
    public void Remove(IPAddress source) => _open.Remove(source);
}
