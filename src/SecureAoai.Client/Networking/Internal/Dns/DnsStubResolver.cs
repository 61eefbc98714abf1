using System.Collections.Concurrent;
using System.Net;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Resolves names by asking configured DNS servers directly (a stub resolver), so a private endpoint's answer comes
/// from the DNS the deployment names and the CNAME chain is visible. A and AAAA are asked concurrently; a truncated
/// UDP answer is asked again over TCP; a CNAME chain the server left unfinished is followed with further queries, at
/// most <see cref="DnsLimits.MaxCnameHops"/> hops. Servers are tried in order: NXDOMAIN or an answer without
/// addresses is authoritative and ends the lookup; SERVFAIL, REFUSED, silence or garbage moves on to the next server.
/// Both the A and the AAAA query must be answered by the same server, so a half answer is never mistaken for the whole.
/// </summary>
/// <remarks>
/// Positive answers are cached for the smallest TTL along the chain, capped by <see cref="DnsStubResolverOptions.MaxTimeToLive"/>;
/// a TTL of 0 is not cached. Failures are not cached: the caller's failover and cooldown decide how soon to ask again.
/// Concurrent lookups of one name share a single set of queries. The <see cref="TimeProvider"/> drives both the
/// attempt timeouts and cache expiry.
/// </remarks>
internal sealed class DnsStubResolver : IHostResolver
{
    private readonly IPEndPoint[] _servers;
    private readonly DnsStubResolverOptions _options;
    private readonly TimeProvider _time;
    private readonly HostResolutionCache _cache;
    private readonly ConcurrentDictionary<string, Lazy<Task<HostResolution>>> _inFlight = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a resolver asking <see cref="DnsStubResolverOptions.Servers"/>.</summary>
    /// <param name="options">The servers and limits; validated here.</param>
    /// <param name="timeProvider">The clock for attempt timeouts and cache expiry; the default is <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="InvalidOperationException">An option is out of range.</exception>
    public DnsStubResolver(DnsStubResolverOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _servers = [.. options.Servers];
        _time = timeProvider ?? TimeProvider.System;
        _cache = new HostResolutionCache(_time);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="host"/> is not a name DNS can look up.</exception>
    public async ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var name = DnsMessageWriter.ValidateName(host);
        if (_cache.TryGet(name, out var cached))
        {
            return cached with { Host = host, Chain = [host, .. cached.Chain.Skip(1)] };
        }

        // The shared lookup runs without any one caller's token (it is bounded by the attempt timeouts);
        // each caller stops waiting when its own token fires.
        var lookup = _inFlight.GetOrAdd(name, static (n, self) => new Lazy<Task<HostResolution>>(() => self.LookUpAndCacheAsync(n)), this);
        var resolution = await lookup.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return resolution with { Host = host, Chain = [host, .. resolution.Chain.Skip(1)] };
    }

    private async Task<HostResolution> LookUpAndCacheAsync(string name)
    {
        try
        {
            await Task.Yield();
            var resolution = await LookUpAsync(name).ConfigureAwait(false);
            _cache.Add(name, resolution);
            return resolution;
        }
        finally
        {
            // Only this lookup can be registered under this name while it runs, so removing by key is safe.
            _inFlight.TryRemove(name, out _);
        }
    }

    private async Task<HostResolution> LookUpAsync(string name)
    {
        var report = new List<string>(_servers.Length);
        var sawServerFailure = false;
        var sawInvalid = false;
        foreach (var server in _servers)
        {
            var outcome = await LookUpWithServerAsync(server, name).ConfigureAwait(false);
            if (outcome.Resolution is { } resolution)
            {
                return resolution;
            }

            report.Add($"{server} {outcome.Detail}");
            switch (outcome.Failure)
            {
                case HostResolutionFailure.NameNotFound:
                case HostResolutionFailure.NoAddress:
                    throw new HostResolutionException(name, outcome.Failure.Value, $"'{name}' did not resolve: DNS {string.Join("; ", report)}.");
                case HostResolutionFailure.ServerFailure:
                    sawServerFailure = true;
                    break;
                case HostResolutionFailure.InvalidResponse:
                    sawInvalid = true;
                    break;
            }
        }

        // A server that said "I failed" is the most actionable; then one that answered garbage; timeout means nobody answered at all.
        var failure = sawServerFailure ? HostResolutionFailure.ServerFailure
            : sawInvalid ? HostResolutionFailure.InvalidResponse
            : HostResolutionFailure.Timeout;
        throw new HostResolutionException(name, failure, $"'{name}' did not resolve: DNS {string.Join("; ", report)}.");
    }

    private async Task<ServerOutcome> LookUpWithServerAsync(IPEndPoint server, string name)
    {
        var chain = new List<string> { name };
        var ttlSeconds = uint.MaxValue;
        var current = name;

        // Each round either ends or adds at least one CNAME hop, and hops are capped, so this loop is bounded.
        while (true)
        {
            var queries = await Task.WhenAll(
                QueryAsync(server, new DnsQuestion(current, DnsRecordType.A)),
                QueryAsync(server, new DnsQuestion(current, DnsRecordType.Aaaa))).ConfigureAwait(false);
            var v4 = queries[0];
            var v6 = queries[1];

            foreach (var result in queries)
            {
                if (result.Message is null)
                {
                    var failure = result.Status == DnsExchangeStatus.Invalid ? HostResolutionFailure.InvalidResponse : HostResolutionFailure.Timeout;
                    return ServerOutcome.Failed(failure, result.Detail);
                }
            }

            foreach (var message in new[] { v4.Message!, v6.Message! })
            {
                switch (message.ResponseCode)
                {
                    case DnsResponseCode.NoError:
                        break;
                    case DnsResponseCode.NameError:
                        return ServerOutcome.Failed(HostResolutionFailure.NameNotFound, $"answered NXDOMAIN for '{message.Question!.Value.Name}' (chain: {string.Join(" -> ", chain)})");
                    default:
                        return ServerOutcome.Failed(HostResolutionFailure.ServerFailure, $"answered {Describe(message.ResponseCode)}");
                }
            }

            string final;
            try
            {
                var v6Chain = new List<string>(chain);
                final = FollowChain(v4.Message!, current, chain, ref ttlSeconds);
                var v6Final = FollowChain(v6.Message!, current, v6Chain, ref ttlSeconds);
                if (!string.Equals(final, v6Final, StringComparison.OrdinalIgnoreCase))
                {
                    return ServerOutcome.Failed(HostResolutionFailure.InvalidResponse, $"answered A and AAAA with different CNAME chains (to '{final}' and '{v6Final}')");
                }
            }
            catch (DnsFormatException ex)
            {
                return ServerOutcome.Failed(HostResolutionFailure.InvalidResponse, $"answered with {ex.Message}");
            }

            var addresses = new List<IPAddress>();
            var records = v4.Message!.Answers.Where(r => r.Type == DnsRecordType.A)
                .Concat(v6.Message!.Answers.Where(r => r.Type == DnsRecordType.Aaaa));
            foreach (var record in records)
            {
                if (record.Address is not null && string.Equals(record.Name, final, StringComparison.OrdinalIgnoreCase))
                {
                    addresses.Add(record.Address);
                    ttlSeconds = Math.Min(ttlSeconds, record.TimeToLiveSeconds);
                }
            }

            if (addresses.Count > 0)
            {
                var ttl = TimeSpan.FromSeconds(ttlSeconds) < _options.MaxTimeToLive ? TimeSpan.FromSeconds(ttlSeconds) : _options.MaxTimeToLive;
                return ServerOutcome.Resolved(new HostResolution(name, chain, addresses, ttl, $"DNS {server}"));
            }

            if (string.Equals(final, current, StringComparison.OrdinalIgnoreCase))
            {
                return ServerOutcome.Failed(HostResolutionFailure.NoAddress, $"answered with no A or AAAA record for '{final}' (chain: {string.Join(" -> ", chain)})");
            }

            // The server gave the chain but not the addresses at its end (e.g. the target is in another zone): ask for the target.
            current = final;
        }
    }

    private async Task<DnsExchangeResult> QueryAsync(IPEndPoint server, DnsQuestion question)
    {
        DnsExchangeResult result = default;
        for (var attempt = 1; attempt <= _options.AttemptsPerServer; attempt++)
        {
            result = await DnsTransport.ExchangeAsync(server, question, _options.UseEdns, _options.AttemptTimeout, _time, CancellationToken.None)
                .ConfigureAwait(false);
            if (result.Status is DnsExchangeStatus.Answered or DnsExchangeStatus.Unreachable)
            {
                return result;
            }
        }

        return _options.AttemptsPerServer == 1 || result.Status != DnsExchangeStatus.TimedOut
            ? result
            : result with { Detail = $"timed out {_options.AttemptsPerServer} times after {DnsTransport.Describe(_options.AttemptTimeout)} each" };
    }

    /// <summary>
    /// Follows CNAME records in <paramref name="message"/> from <paramref name="start"/>, appending each target to
    /// <paramref name="chain"/> and lowering <paramref name="ttlSeconds"/> to each record's TTL.
    /// </summary>
    /// <returns>The last name of the chain: the one whose addresses answer the question.</returns>
    /// <exception cref="DnsFormatException">The chain loops or is longer than <see cref="DnsLimits.MaxCnameHops"/>.</exception>
    private static string FollowChain(DnsMessage message, string start, List<string> chain, ref uint ttlSeconds)
    {
        var current = start;
        while (message.Answers.FirstOrDefault(r => r.Target is not null && string.Equals(r.Name, current, StringComparison.OrdinalIgnoreCase)) is { } alias)
        {
            if (chain.Contains(alias.Target!, StringComparer.OrdinalIgnoreCase))
            {
                throw new DnsFormatException($"a CNAME loop at '{alias.Target}'");
            }

            if (chain.Count > DnsLimits.MaxCnameHops)
            {
                throw new DnsFormatException($"a CNAME chain longer than {DnsLimits.MaxCnameHops} hops");
            }

            chain.Add(alias.Target!);
            ttlSeconds = Math.Min(ttlSeconds, alias.TimeToLiveSeconds);
            current = alias.Target!;
        }

        return current;
    }

    private static string Describe(DnsResponseCode code) => code switch
    {
        DnsResponseCode.ServerFailure => "SERVFAIL",
        DnsResponseCode.Refused => "REFUSED",
        DnsResponseCode.FormatError => "FORMERR",
        DnsResponseCode.NotImplemented => "NOTIMP",
        _ => $"RCODE {(int)code}",
    };

    private readonly record struct ServerOutcome(HostResolution? Resolution, HostResolutionFailure? Failure, string Detail)
    {
        public static ServerOutcome Resolved(HostResolution resolution) => new(resolution, null, "answered");

        public static ServerOutcome Failed(HostResolutionFailure failure, string detail) => new(null, failure, detail);
    }
}
