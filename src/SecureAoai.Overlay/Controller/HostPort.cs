using System.Globalization;

namespace SecureAoai.Overlay.Controller;

/// <summary>Parses <c>host:port</c> (or <c>[v6]:port</c>) controller addresses.</summary>
internal static class HostPort
{
    public static bool TryParse(string? value, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
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

    public static void Validate(string value, string what)
    {
        if (!TryParse(value, out _, out _))
        {
            throw new ArgumentException($"{what} '{value}' is not HOST:PORT (for example 127.0.0.1:6262 or controller.example:6262).", what);
        }
    }
}
