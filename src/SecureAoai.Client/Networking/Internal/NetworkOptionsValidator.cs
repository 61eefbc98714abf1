namespace SecureAoai.Client.Networking.Internal;

/// <summary>The rules of <see cref="SecureOpenAINetworkOptions"/>; each failure names the setting and the fix.</summary>
internal static class NetworkOptionsValidator
{
    public static void Validate(SecureOpenAINetworkOptions network, List<string> failures, string setting = "SecureOpenAI:Network")
    {
        if (!Enum.IsDefined(network.Policy))
        {
            failures.Add($"{setting}:Policy must be RequirePrivate, PreferPrivate or AllowPublic.");
        }

        foreach (var server in network.DnsServers)
        {
            if (!NetworkOptionsParser.IsServer(server))
            {
                failures.Add($"{setting}:DnsServers entry '{server}' is not IP or IP:port (use [IPv6]:port for IPv6), for example 10.0.0.4 or 168.63.129.16:53.");
            }
        }

        foreach (var (host, addresses) in network.HostOverrides)
        {
            if (Uri.CheckHostName(host) != UriHostNameType.Dns)
            {
                failures.Add($"{setting}:HostOverrides key '{host}' is not a host name.");
            }

            if (!NetworkOptionsParser.TryParseAddresses(addresses, out _))
            {
                failures.Add($"{setting}:HostOverrides:{host} '{addresses}' is not a comma-separated list of IP addresses.");
            }
        }

        if (network.DnsTimeout <= TimeSpan.Zero || network.DnsTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{setting}:DnsTimeout must be more than 0 and at most 30 seconds.");
        }

        if (network.ConnectTimeout <= TimeSpan.Zero || network.ConnectTimeout > TimeSpan.FromMinutes(2))
        {
            failures.Add($"{setting}:ConnectTimeout must be more than 0 and at most 2 minutes.");
        }
    }
}
