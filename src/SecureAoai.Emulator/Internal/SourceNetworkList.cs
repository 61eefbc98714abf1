using System.Collections.ObjectModel;
using System.Net;

namespace SecureAoai.Emulator.Internal;

/// <summary>
/// The firewall's allowed source networks: a list of CIDR strings that tests may change while
/// requests are being served. Entries are parsed when added, so a typo fails at the call that made it.
/// </summary>
internal sealed class SourceNetworkList : Collection<string>
{
    private readonly Lock _gate = new();
    private IPNetwork[] _networks = [];

    public SourceNetworkList(IEnumerable<string> cidrs)
    {
        foreach (string cidr in cidrs)
        {
            Add(cidr);
        }
    }

    /// <summary>Whether <paramref name="source"/> may pass: always when the list is empty.</summary>
    public bool Allows(IPAddress source)
    {
        IPNetwork[] networks = Volatile.Read(ref _networks);
        if (networks.Length == 0)
        {
            return true;
        }

        IPAddress address = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        return networks.Any(network => network.Contains(address));
    }

    /// <summary>Parses a CIDR such as <c>10.0.0.0/8</c>; a bare address means that one host.</summary>
    public static IPNetwork Parse(string cidr)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cidr);
        if (IPNetwork.TryParse(cidr, out IPNetwork network))
        {
            return network;
        }

        if (IPAddress.TryParse(cidr, out IPAddress? host))
        {
            return new IPNetwork(host, host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new FormatException($"'{cidr}' is not a CIDR range such as 10.0.0.0/8 or an IP address.");
    }

    protected override void InsertItem(int index, string item)
    {
        Parse(item);
        lock (_gate)
        {
            base.InsertItem(index, item);
            Refresh();
        }
    }

    protected override void SetItem(int index, string item)
    {
        Parse(item);
        lock (_gate)
        {
            base.SetItem(index, item);
            Refresh();
        }
    }

    protected override void RemoveItem(int index)
    {
        lock (_gate)
        {
            base.RemoveItem(index);
            Refresh();
        }
    }

    protected override void ClearItems()
    {
        lock (_gate)
        {
            base.ClearItems();
            Refresh();
        }
    }

    private void Refresh() => Volatile.Write(ref _networks, Items.Select(Parse).ToArray());
}
