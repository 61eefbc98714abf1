using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Builder;
using SecureAoai.Emulator.Internal;
using SecureAoai.Emulator.Internal.DataPlane;

namespace SecureAoai.Emulator;

/// <summary>
/// A running emulated Azure OpenAI resource, serving HTTPS on 127.0.0.1. Its quotas and faults may
/// be changed while it runs, from any thread; each change applies to requests that arrive after it.
/// </summary>
/// <example>
/// <code>
/// EmulatorInstance eastus = server["eastus"];
/// eastus.SetRateLimit("gpt-4o-mini", new EmulatorRateLimit { RequestsPerMinute = 10 });
/// eastus.InjectErrors(0.5, 500, 503);
/// eastus.Throttle(TimeSpan.FromHours(24));
/// eastus.ClearFaults();
/// await eastus.StopAsync();   // the port is closed: connections are refused
/// await eastus.StartAsync();  // the same port serves again
/// </code>
/// </example>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The SemaphoreSlim never allocates a wait handle; the server stops the listener.")]
public sealed class EmulatorInstance
{
    internal static readonly TimeSpan DefaultRateLimitWindow = TimeSpan.FromSeconds(60);

    // In-flight requests get this long to finish when the instance stops, then their connections are cut.
    private static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    private readonly SourceNetworkList _allowedSourceCidrs;
    private readonly RateLimiter _rateLimiter;
    private readonly Lock _faultGate = new();
    private readonly Lock _randomGate = new();
    private readonly Random _random;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private volatile bool _keyAuthEnabled;
    private volatile FaultPlan _faults = FaultPlan.None;
    private Func<int, WebApplication>? _createHost;
    private WebApplication? _host;
    private int _requestCount;
    private int _throttledCount;
    private int _faultedCount;

    internal EmulatorInstance(EmulatorInstanceOptions options, TimeProvider timeProvider)
    {
        Name = options.Name;
        ApiKey = options.ApiKey;
        Port = options.Port;
        TimeProvider = timeProvider;
        _keyAuthEnabled = options.KeyAuthEnabled;
        _allowedSourceCidrs = new SourceNetworkList(options.AllowedSourceCidrs);
        RegionDisplayName = options.RegionDisplayName ?? AzureRegions.DisplayName(options.Name);
        Deployments = new ReadOnlyDictionary<string, EmulatedDeployment>(
            options.Deployments.ToDictionary(d => d.Key, d => EmulatedDeployment.From(d.Key, d.Value), StringComparer.Ordinal));
        _rateLimiter = new RateLimiter(timeProvider, options.RateLimitWindow, options.RateLimits);
#pragma warning disable CA5394 // Fault draws are for tests and must be repeatable from a seed, not unpredictable.
        _random = options.FaultSeed is int seed ? new Random(seed) : new Random();
#pragma warning restore CA5394
    }

    /// <summary>The instance's name.</summary>
    public string Name { get; }

    /// <summary>The region's display name the instance sends in <c>x-ms-region</c>, such as <c>East US</c>.</summary>
    public string RegionDisplayName { get; }

    /// <summary>
    /// The resource root, <c>https://localhost:PORT/</c>. Clients of the v1 API use
    /// <c>{Endpoint}openai/v1/</c>.
    /// </summary>
    public Uri Endpoint => new($"https://localhost:{Port}/");

    /// <summary>The TCP port the instance listens on, on 127.0.0.1; it keeps it across <see cref="StopAsync"/> and <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Whether the listener is open; <see langword="false"/> between <see cref="StopAsync"/> and <see cref="StartAsync"/>.</summary>
    public bool IsRunning => Volatile.Read(ref _host) is not null;

    /// <summary>
    /// The number of data-plane requests received, whatever their outcome: refused, throttled and
    /// faulted ones included. Connections refused while the instance is stopped never reach it.
    /// </summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>The number of requests answered 429, by a rate limit or by <see cref="Throttle"/>.</summary>
    public int ThrottledCount => Volatile.Read(ref _throttledCount);

    /// <summary>
    /// The number of requests that met an injected fault: an error status from
    /// <see cref="InjectErrors"/> or a stream cut by <see cref="InjectStreamCut"/>.
    /// </summary>
    public int FaultedCount => Volatile.Read(ref _faultedCount);

    /// <summary>The API key accepted while <see cref="KeyAuthEnabled"/> is set.</summary>
    public string ApiKey { get; }

    /// <summary>Whether API keys are accepted; may be changed while the instance runs.</summary>
    public bool KeyAuthEnabled
    {
        get => _keyAuthEnabled;
        set => _keyAuthEnabled = value;
    }

    /// <summary>
    /// The firewall's allowed source networks in CIDR notation; empty allows every source. May be
    /// changed while the instance runs; an entry that is not a CIDR is refused with a
    /// <see cref="FormatException"/>.
    /// </summary>
    public IList<string> AllowedSourceCidrs => _allowedSourceCidrs;

    /// <summary>The length of the sliding window rate limits are counted over (<see cref="EmulatorInstanceOptions.RateLimitWindow"/>).</summary>
    public TimeSpan RateLimitWindow => _rateLimiter.Window;

    /// <summary>A snapshot of the rate limits now in force, by deployment name.</summary>
    public IReadOnlyDictionary<string, EmulatorRateLimit> RateLimits => _rateLimiter.Snapshot();

    internal IReadOnlyDictionary<string, EmulatedDeployment> Deployments { get; }

    internal SourceNetworkList SourceNetworks => _allowedSourceCidrs;

    internal RateLimiter RateLimiter => _rateLimiter;

    internal TimeProvider TimeProvider { get; }

    internal FaultPlan Faults => _faults;

    /// <summary>
    /// Sets or removes the rate limit of one deployment. The deployment's window starts afresh, so
    /// requests admitted before the change no longer count.
    /// </summary>
    /// <param name="deployment">The deployment name, as in <see cref="EmulatorInstanceOptions.Deployments"/>.</param>
    /// <param name="limit">The new limit, or <see langword="null"/> to stop limiting the deployment.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1.</exception>
    public void SetRateLimit(string deployment, EmulatorRateLimit? limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(deployment);
        if (limit?.Validate() is string problem)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), problem);
        }

        _rateLimiter.SetLimit(deployment, limit);
    }

    /// <summary>
    /// Answers every data-plane request with 429 and the given wait in <c>retry-after-ms</c>,
    /// <c>x-ms-retry-after-ms</c> and <c>Retry-After</c> (whole seconds, rounded up), as a resource
    /// out of quota does; any length is allowed, 24 hours included, to test capping.
    /// </summary>
    /// <param name="retryAfter">The wait to announce, or <see langword="null"/> to stop throttling.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="retryAfter"/> is not positive.</exception>
    public void Throttle(TimeSpan? retryAfter)
    {
        if (retryAfter is TimeSpan wait && wait <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(retryAfter), retryAfter, "The announced wait must be positive; pass null to stop throttling.");
        }

        ChangeFaults(plan => plan with { ThrottleRetryAfter = retryAfter });
    }

    /// <summary>
    /// Answers each data-plane request, with the given probability, with one of the given statuses
    /// (picked at random) and Azure's error body for it. Draws come from a generator seeded with
    /// <see cref="EmulatorInstanceOptions.FaultSeed"/>.
    /// </summary>
    /// <param name="probability">The chance per request, from 0 (never) to 1 (always).</param>
    /// <param name="statusCodes">The statuses to answer with, each from 400 to 599; none stops injecting errors.</param>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside 0 to 1 or a status is not an error.</exception>
    public void InjectErrors(double probability, params int[] statusCodes)
    {
        ArgumentNullException.ThrowIfNull(statusCodes);
        if (!(probability is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The probability must be from 0 to 1.");
        }

        foreach (int status in statusCodes)
        {
            if (status is < 400 or > 599)
            {
                throw new ArgumentOutOfRangeException(nameof(statusCodes), status, "Injected statuses must be errors, from 400 to 599.");
            }
        }

        int[] codes = [.. statusCodes];
        ChangeFaults(plan => plan with { ErrorProbability = probability, ErrorStatusCodes = codes });
    }

    /// <summary>Waits this long before handling each data-plane request, on <see cref="EmulatorOptions.TimeProvider"/>.</summary>
    /// <param name="latency">The added wait; <see cref="TimeSpan.Zero"/> removes it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="latency"/> is negative.</exception>
    public void InjectLatency(TimeSpan latency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        ChangeFaults(plan => plan with { Latency = latency });
    }

    /// <summary>
    /// Cuts streamed (server-sent events) answers: once <paramref name="afterBytes"/> bytes of the
    /// event stream were written, the connection is aborted, so the client sees a broken stream and
    /// never <c>data: [DONE]</c>. A stream no longer than that ends normally.
    /// </summary>
    /// <param name="afterBytes">The body bytes to let through, or <see langword="null"/> to stop cutting.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterBytes"/> is negative.</exception>
    public void InjectStreamCut(int? afterBytes)
    {
        if (afterBytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(afterBytes), afterBytes, "The bytes to let through cannot be negative.");
        }

        ChangeFaults(plan => plan with { StreamCutAfterBytes = afterBytes });
    }

    /// <summary>Stops <see cref="Throttle"/>, <see cref="InjectErrors"/>, <see cref="InjectLatency"/> and <see cref="InjectStreamCut"/>; rate limits stay.</summary>
    public void ClearFaults() => ChangeFaults(_ => FaultPlan.None);

    /// <summary>
    /// Takes the instance down: closes its listener, so new connections to <see cref="Port"/> are
    /// refused, as with a crashed or unreachable resource. In-flight requests get 5 seconds to
    /// finish, then their connections are cut. Does nothing if the instance is already stopped.
    /// </summary>
    /// <param name="cancellationToken">Cancel to cut in-flight requests at once.</param>
    /// <returns>A task that completes when the port is closed.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            WebApplication? host = Interlocked.Exchange(ref _host, null);
            if (host is null)
            {
                return;
            }

            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(StopGracePeriod);
            try
            {
                await host.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open are cut by DisposeAsync.
            }

            await host.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Brings a stopped instance back on the same <see cref="Port"/>; counters, quotas and faults
    /// are kept. Does nothing if it is running.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the instance listens again.</returns>
    /// <exception cref="IOException">Another process took the port meanwhile.</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_host is not null)
            {
                return;
            }

            Func<int, WebApplication> createHost = _createHost ?? throw new ObjectDisposedException(nameof(EmulatorServer), "The emulator server of this instance was disposed.");
            WebApplication host = createHost(Port);
            try
            {
                Port = await KestrelHost.StartAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await host.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Volatile.Write(ref _host, host);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    internal void CountRequest() => Interlocked.Increment(ref _requestCount);

    internal void CountThrottled() => Interlocked.Increment(ref _throttledCount);

    internal void CountFaulted() => Interlocked.Increment(ref _faultedCount);

    /// <summary>Draws whether this request fails, and with which status.</summary>
    internal bool TryDrawError(FaultPlan plan, out int status)
    {
        status = 0;
        if (plan.ErrorStatusCodes.Count == 0 || plan.ErrorProbability <= 0)
        {
            return false;
        }

        lock (_randomGate)
        {
#pragma warning disable CA5394 // See the constructor: repeatable draws are the point.
            if (_random.NextDouble() >= plan.ErrorProbability)
            {
                return false;
            }

            status = plan.ErrorStatusCodes[_random.Next(plan.ErrorStatusCodes.Count)];
#pragma warning restore CA5394
            return true;
        }
    }

    /// <summary>Gives the instance the way to build its listener; the server calls this once, before <see cref="StartAsync"/>.</summary>
    internal void UseHost(Func<int, WebApplication> createHost) => _createHost = createHost;

    /// <summary>Stops the listener for good, when the server is disposed.</summary>
    internal async Task ShutDownAsync()
    {
        _createHost = null;
        await StopAsync().ConfigureAwait(false);
    }

    private void ChangeFaults(Func<FaultPlan, FaultPlan> change)
    {
        lock (_faultGate)
        {
            _faults = change(_faults);
        }
    }
}
