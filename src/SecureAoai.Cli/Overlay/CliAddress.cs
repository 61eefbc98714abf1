using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;

namespace SecureAoai.Cli.Overlay;

/// <summary>The command line's HOST:PORT options: checked when the line is parsed, so a typo fails before anything starts.</summary>
internal static class CliAddress
{
    /// <summary>Whether <paramref name="value"/> is <c>HOST:PORT</c> (an IP address, <c>[v6]</c> or a DNS name), with port 0 only when <paramref name="allowAnyPort"/>.</summary>
    public static bool TryParse(string? value, out string host, out int port, bool allowAnyPort = false)
    {
        host = string.Empty;
        port = 0;
        // "tcp" has no default port, so a missing port shows as the default one.
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate("tcp://" + value, UriKind.Absolute, out var uri)
            || uri.IsDefaultPort || uri.PathAndQuery != "/" || uri.UserInfo.Length > 0 || !value.EndsWith(":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            return false;
        }

        host = uri.HostNameType == UriHostNameType.IPv6 ? uri.DnsSafeHost : uri.Host;
        port = uri.Port;
        return port > 0 || allowAnyPort;
    }

    /// <summary>A required <c>HOST:PORT</c> option, checked at parse time.</summary>
    public static Option<string> Option(string name, string description, bool allowAnyPort = false) => new(name)
    {
        Description = description,
        Required = true,
        Validators = { result => Check(result, allowAnyPort) },
    };

    /// <summary>Adds a parse error naming the option when its value is not <c>HOST:PORT</c>.</summary>
    public static void Check(OptionResult result, bool allowAnyPort = false)
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!TryParse(value, out _, out _, allowAnyPort))
        {
            result.AddError($"{result.Option.Name} '{value}' is not HOST:PORT, such as 127.0.0.1:6262.");
        }
    }

    /// <summary>HOST:PORT, already checked by the option's validator.</summary>
    public static (string Host, int Port) Split(string value) =>
        TryParse(value, out var host, out var port, allowAnyPort: true) ? (host, port) : throw new ArgumentException($"'{value}' is not HOST:PORT.");

    /// <summary>A local address to listen on: an IP address, or loopback for <c>localhost</c>.</summary>
    public static IPAddress Local(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : host == "localhost" ? IPAddress.Loopback
        : throw new ArgumentException($"'{host}' is not an IP address or localhost; listen on an address of this machine.");
}
