using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Builds the resolver <see cref="SecureOpenAINetworkOptions"/> describe: literals, then overrides, then DNS.</summary>
internal static class HostResolverFactory
{
    /// <summary>Creates the resolver; the options must have passed <see cref="NetworkOptionsValidator"/>.</summary>
    public static IHostResolver Create(SecureOpenAINetworkOptions options, TimeProvider time)
    {
        IHostResolver resolver;
        if (options.DnsServers.Count > 0)
        {
            var stub = DnsStubResolverOptions.ForServers(options.DnsServers);
            stub.AttemptTimeout = options.DnsTimeout;
            resolver = new DnsStubResolver(stub, time);
        }
        else
        {
            resolver = new SystemHostResolver();
        }

        if (options.HostOverrides.Count > 0)
        {
            var overrides = options.HostOverrides.Select(o =>
                NetworkOptionsParser.TryParseAddresses(o.Value, out var addresses)
                    ? KeyValuePair.Create(o.Key, (IReadOnlyList<System.Net.IPAddress>)addresses)
                    : throw new FormatException($"SecureOpenAI:Network:HostOverrides:{o.Key} is not a list of addresses."));
            resolver = new StaticHostResolver(overrides, resolver);
        }

        return new LiteralHostResolver(resolver);
    }
}
