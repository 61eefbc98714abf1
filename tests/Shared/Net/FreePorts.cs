using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Tests.Shared;

/// <summary>
/// Loopback ports for a listener that must know its port before it listens (a router enrolls for its
/// address, a documented command line names one). A port taken with port 0 and released is in the
/// ephemeral range, which every outgoing connection of every test running at the same time draws its
/// local port from, so it can be gone again by the time the listener starts ("Address already in use").
/// Below that range the OS hands out nothing by itself.
/// </summary>
internal static class FreePorts
{
    private const int Lowest = 10_000;
    private const int MaxAttempts = 1_000;

    /// <summary>A free loopback port below the ephemeral range, at random (so two runs at once do not pick the same), and none of <paramref name="taken"/>.</summary>
    public static int BelowEphemeralRange(IEnumerable<int>? taken = null)
    {
        var ephemeralStart = EphemeralRangeStart();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var candidate = Random.Shared.Next(Lowest, ephemeralStart);
            if (taken?.Contains(candidate) != true && IsFree(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {ephemeralStart} after {MaxAttempts} tries.");
    }

    /// <summary>The first port the OS hands out for port 0 and outgoing connections (Linux reads it from /proc; elsewhere the IANA start).</summary>
    private static int EphemeralRangeStart()
    {
        const string Range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(Range) && int.TryParse(File.ReadAllText(Range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture, out var start)
            ? start
            : 49152;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
