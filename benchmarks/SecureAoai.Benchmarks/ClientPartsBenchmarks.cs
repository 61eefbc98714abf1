using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Benchmarks;

/// <summary>The per-request work of the SDK's own parts, on their own: the cached verdict and the endpoint choice.</summary>
public class ClientPartsBenchmarks
{
    private static readonly HashSet<FailoverEndpoint> NoneExcluded = [];
    private EndpointGuard _guard = null!;
    private EndpointSelector _oneEndpoint = null!;
    private EndpointSelector _threePriorities = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var resolver = new FixedResolver();
        _guard = new EndpointGuard(resolver, NetworkPolicy.RequirePrivate, TimeSpan.FromSeconds(5), NullLogger.Instance);
        await _guard.VerifyAsync("aoai-east.openai.azure.com", CancellationToken.None);
        _oneEndpoint = new EndpointSelector([Endpoint("east", 1, 1, resolver)]);
        _threePriorities = new EndpointSelector([Endpoint("east", 1, 3, resolver), Endpoint("east2", 1, 1, resolver), Endpoint("west", 2, 1, resolver)]);
    }

    [GlobalCleanup]
    public void Cleanup() => _guard.Dispose();

    [Benchmark(Description = "cached verdict (EndpointGuard.VerifyAsync)")]
    public int CachedVerdict()
    {
        // A cached verdict completes synchronously; anything else would be a bug this benchmark should expose.
        var pending = _guard.VerifyAsync("aoai-east.openai.azure.com", CancellationToken.None);
        return pending.IsCompletedSuccessfully ? pending.Result.Allowed.Count : throw new InvalidOperationException("The verdict was not cached.");
    }

    [Benchmark(Description = "endpoint choice, one endpoint")]
    public object? ChooseOne() => _oneEndpoint.Choose(DateTimeOffset.UtcNow, NoneExcluded);

    [Benchmark(Description = "endpoint choice, weighted, three endpoints")]
    public object? ChooseWeighted() => _threePriorities.Choose(DateTimeOffset.UtcNow, NoneExcluded);

    private static FailoverEndpoint Endpoint(string name, int priority, int weight, IHostResolver resolver) => new(
        name, "SecureOpenAI", new Uri($"https://{name}.openai.azure.com/"), priority, weight, new Dictionary<string, string>(), null,
        new EndpointGuard(resolver, NetworkPolicy.RequirePrivate, TimeSpan.FromSeconds(5), NullLogger.Instance),
        new SecureOpenAIFailoverOptions(), TimeProvider.System);

    private sealed class FixedResolver : IHostResolver
    {
        public ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new HostResolution(host, [host, "aoai-east.privatelink.openai.azure.com"], [IPAddress.Parse("10.1.2.3")], TimeSpan.FromHours(1), "fixed"));
    }
}
