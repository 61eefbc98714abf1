using System.Net;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Networking;

/// <summary>A resolver seam whose answer the test sets and changes; counts lookups.</summary>
internal sealed class ScriptedResolver : IHostResolver
{
    private int _lookups;

    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromSeconds(30);

    public string[] Addresses { get; set; } = ["127.0.0.1"];

    public HostResolutionFailure? Failure { get; set; }

    public int Lookups => Volatile.Read(ref _lookups);

    public ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        if (Failure is { } failure)
        {
            throw new HostResolutionException(host, failure, $"scripted {failure}.");
        }

        return ValueTask.FromResult(new HostResolution(host, [host, "x.privatelink.openai.azure.com"], Addresses.Select(IPAddress.Parse).ToArray(), TimeToLive, "scripted"));
    }
}
