using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Resolves endpoint names, applies the <see cref="NetworkPolicy"/>, and opens connections only to
/// the addresses that passed it. A verdict is reused until the answer's TTL runs out; then the name
/// is resolved and judged again, and connections to addresses no longer allowed are closed.
/// </summary>
internal sealed class EndpointGuard : IDisposable
{
    private readonly IHostResolver _resolver;
    private readonly NetworkPolicy _policy;
    private readonly TimeSpan _connectTimeout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _networkSetting;
    private readonly ConcurrentDictionary<string, HostState> _hosts = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="resolver">Resolves the endpoint's names.</param>
    /// <param name="policy">Which addresses may be connected to.</param>
    /// <param name="connectTimeout">How long one address may take to connect.</param>
    /// <param name="logger">Where verdicts are logged.</param>
    /// <param name="time">The clock of verdicts' TTLs.</param>
    /// <param name="networkSetting">The settings a refusal names: <c>SecureOpenAI:Network</c>, or the endpoint's own network section.</param>
    public EndpointGuard(IHostResolver resolver, NetworkPolicy policy, TimeSpan connectTimeout, ILogger logger, TimeProvider? time = null, string networkSetting = NetworkPolicyEvaluator.DefaultNetworkSetting)
    {
        _resolver = resolver;
        _policy = policy;
        _connectTimeout = connectTimeout;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _networkSetting = networkSetting;
    }

    public NetworkPolicy Policy => _policy;

    /// <summary>The allowed addresses of <paramref name="host"/>, from a verdict still within its TTL or a new one.</summary>
    /// <exception cref="EndpointNetworkException">The name did not resolve or the policy refused its addresses.</exception>
    public async ValueTask<PolicyVerdict> VerifyAsync(string host, CancellationToken cancellationToken)
    {
        var state = _hosts.GetOrAdd(host, static h => new HostState(h));
        Task<PolicyVerdict> pending;
        lock (state)
        {
            if (state.Verdict is { } current && _time.GetUtcNow() < state.ExpiresAt)
            {
                return current;
            }

            // One resolution per host at a time; callers arriving meanwhile share it.
            pending = state.Pending ??= Task.Run(() => ResolveAndJudgeAsync(state));
        }

        return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects to the addresses the host's verdict allows, in order, each with its own timeout: the
    /// verdict the request was checked against, unless its TTL ran out since (then a new one). No
    /// lookup outside the verdict; TLS above still checks the host name.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var verdict = await VerifyAsync(host, cancellationToken).ConfigureAwait(false);
        var state = _hosts.GetOrAdd(host, static h => new HostState(h));
        var failures = new List<string>();
        foreach (var address in verdict.Allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_connectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
                return state.Track(new GuardedStream(socket, address, state));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                failures.Add($"{address}: no answer within {_connectTimeout.TotalSeconds:0.#} s");
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                failures.Add($"{address}: {ex.SocketErrorCode}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new IOException($"Could not connect to {host}:{port} at any verified address ({string.Join("; ", failures)}).");
    }

    public void Dispose()
    {
        foreach (var state in _hosts.Values)
        {
            state.CloseWhere(_ => true);
        }
    }

    private async Task<PolicyVerdict> ResolveAndJudgeAsync(HostState state)
    {
        try
        {
            var verdict = NetworkPolicyEvaluator.Evaluate(await ResolveAsync(state.Host).ConfigureAwait(false), _policy);
            if (!verdict.IsAllowed)
            {
                var message = NetworkPolicyEvaluator.Explain(verdict, _networkSetting);
                Log.EndpointRefused(_logger, state.Host, verdict.ChainText, _policy);
                throw new EndpointNetworkException(message, state.Host, EndpointNetworkFailure.PolicyViolation, verdict.Resolution.Chain, verdict.Classes);
            }

            if (verdict.PublicFallback)
            {
                Log.PublicFallback(_logger, state.Host, verdict.ChainText);
            }

            Log.EndpointVerified(_logger, state.Host, verdict.ChainText, _policy, verdict.Resolution.TimeToLive.TotalSeconds);
            lock (state)
            {
                state.Verdict = verdict;
                state.ExpiresAt = _time.GetUtcNow() + verdict.Resolution.TimeToLive;
                state.Pending = null;
            }

            // An address that dropped out of the answer is no longer vouched for: its pooled
            // connections are closed rather than reused.
            state.CloseWhere(address => !verdict.Allowed.Contains(address));
            return verdict;
        }
        catch (Exception ex)
        {
            lock (state)
            {
                state.Verdict = null;
                state.Pending = null;
            }

            if (ex is EndpointNetworkException)
            {
                state.CloseWhere(_ => true);
            }

            throw;
        }
    }

    private async Task<HostResolution> ResolveAsync(string host)
    {
        try
        {
            return await _resolver.ResolveAsync(host, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HostResolutionException ex)
        {
            var error = Unresolved(host, ex, _networkSetting);
            Log.EndpointUnresolved(_logger, host, error.Reason);
            throw error;
        }
    }

    /// <summary>The exception for a name that did not resolve, with what to check: the private zone that applies to the host.</summary>
    public static EndpointNetworkException Unresolved(string host, HostResolutionException error, string networkSetting = NetworkPolicyEvaluator.DefaultNetworkSetting)
    {
        var reason = error.Failure switch
        {
            HostResolutionFailure.NameNotFound => EndpointNetworkFailure.NameNotFound,
            HostResolutionFailure.NoAddress => EndpointNetworkFailure.NoAddress,
            HostResolutionFailure.Timeout => EndpointNetworkFailure.DnsTimeout,
            HostResolutionFailure.ServerFailure => EndpointNetworkFailure.DnsServerFailure,
            _ => EndpointNetworkFailure.InvalidDnsResponse,
        };
        var zone = AzureHostNames.ZoneOf(host);
        return new EndpointNetworkException(
            $"Could not resolve {host}: {error.Message} Nothing was sent. For a private endpoint, check that this machine's DNS (or {networkSetting}:DnsServers) can answer the {AzureHostNames.Describe(zone)}{(zone is null ? "" : " zone")}.",
            host, reason, [], [], error);
    }

    /// <summary>The verdict for one host and the connections opened under it.</summary>
    private sealed class HostState(string host)
    {
        private readonly ConcurrentDictionary<GuardedStream, byte> _connections = new();

        public string Host { get; } = host;

        public PolicyVerdict? Verdict { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public Task<PolicyVerdict>? Pending { get; set; }

        public GuardedStream Track(GuardedStream stream)
        {
            _connections.TryAdd(stream, 0);
            return stream;
        }

        public void Forget(GuardedStream stream) => _connections.TryRemove(stream, out _);

        public void CloseWhere(Func<IPAddress, bool> predicate)
        {
            foreach (var connection in _connections.Keys)
            {
                if (predicate(connection.Address))
                {
                    connection.Dispose();
                }
            }
        }
    }

    /// <summary>A connection that leaves its host's list when closed.</summary>
    private sealed class GuardedStream(Socket socket, IPAddress address, HostState state) : NetworkStream(socket, ownsSocket: true)
    {
        public IPAddress Address { get; } = address;

        protected override void Dispose(bool disposing)
        {
            state.Forget(this);
            base.Dispose(disposing);
        }
    }
}
