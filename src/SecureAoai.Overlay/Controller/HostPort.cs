using System.Globalization;
using System.Net;

namespace SecureAoai.Overlay.Controller;

/// <summary>Parses <c>host:port</c> (or <c>[v6]:port</c>) addresses of controllers and routers.</summary>
internal static class HostPort
{
    /// <summary>Parses an address parties connect to: a port from 1 to 65535, or 0 too when <paramref name="allowAnyPort"/> (a listener's "pick one").</summary>
    public static bool TryParse(string? value, out string host, out int port, bool allowAnyPort = false)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 0 or > 65535 || (port == 0 && !allowAnyPort))
        {
            return false;
        }

        host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }

    /// <summary>
    /// The local address to listen on for <paramref name="host"/>: an IP address as given, loopback for
    /// <c>localhost</c>, and every IPv4 address for a DNS name (the name is what parties dial; the
    /// certificate names it).
    /// </summary>
    public static IPAddress ListenAddress(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.Any;

    /// <summary><c>HOST:PORT</c>, with brackets around an IPv6 address.</summary>
    public static string Format(string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
}
