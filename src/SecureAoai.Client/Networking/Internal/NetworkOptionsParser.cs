using System.Net;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Parses the text forms of <see cref="SecureOpenAINetworkOptions"/>.</summary>
internal static class NetworkOptionsParser
{
    /// <summary>Whether <paramref name="text"/> is <c>IP</c>, <c>IP:port</c> or <c>[IPv6]:port</c>.</summary>
    public static bool IsServer(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            Dns.DnsStubResolverOptions.ParseServer(text.Trim());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Parses one or more comma-separated addresses.</summary>
    public static bool TryParseAddresses(string? text, out IPAddress[] addresses)
    {
        addresses = [];
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = new IPAddress[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!IPAddress.TryParse(parts[i], out var address))
            {
                return false;
            }

            parsed[i] = address;
        }

        addresses = parsed;
        return parsed.Length > 0;
    }
}
