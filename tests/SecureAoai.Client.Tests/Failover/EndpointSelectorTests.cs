using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Tests.Networking;

namespace SecureAoai.Client.Tests.Failover;

public sealed class EndpointSelectorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-23T10:00:00Z");
    private static readonly HashSet<FailoverEndpoint> None = [];

    private static FailoverEndpoint Endpoint(string name, int priority, int weight = 1) => new(
        name,
        $"SecureOpenAI:Endpoints:{name}",
        new Uri($"https://{name}.openai.azure.com/"),
        priority,
        weight,
        new Dictionary<string, string>(),
        credential: null,
        new EndpointGuard(new ScriptedResolver(), NetworkPolicy.RequirePrivate, TimeSpan.FromSeconds(1), NullLogger.Instance),
        new SecureOpenAIFailoverOptions(),
        TimeProvider.System);

    [Fact]
    public void Choose_AllFree_TakesLowestPriority()
    {
        var selector = new EndpointSelector([Endpoint("west", 2), Endpoint("east", 1)]);

        Assert.Equal("east", selector.Choose(Now, None)!.Name);
    }

    [Fact]
    public void Choose_BestPriorityCooling_TakesNextPriority()
    {
        var east = Endpoint("east", 1);
        var selector = new EndpointSelector([east, Endpoint("west", 2)]);
        east.CoolDown(Now, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        Assert.Equal("west", selector.Choose(Now, None)!.Name);
        Assert.Equal("east", selector.Choose(Now.AddSeconds(10), None)!.Name);
    }

    [Fact]
    public void Choose_SamePriority_SharesByWeight()
    {
        var selector = new EndpointSelector([Endpoint("east", 1, weight: 3), Endpoint("west", 1, weight: 1), Endpoint("north", 2)]);

        var picks = Enumerable.Range(0, 4000).Select(_ => selector.Choose(Now, None)!.Name).ToArray();

        // 3:1 expects 3,000 east; the bounds are far outside what chance produces.
        Assert.InRange(picks.Count(p => p == "east"), 2700, 3300);
        Assert.DoesNotContain("north", picks);
    }

    [Fact]
    public void CoolDown_RequestedOverCap_CappedAndNotWaitable()
    {
        var east = Endpoint("east", 1);

        var cooldown = east.CoolDown(Now, TimeSpan.FromHours(24), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        Assert.Equal(TimeSpan.FromSeconds(60), cooldown);
        Assert.Null(east.WaitableUntil(Now));
    }

    [Fact]
    public void CoolDown_NoHeader_DoublesPerFailureUpToCap()
    {
        var east = Endpoint("east", 1);

        var waits = Enumerable.Range(0, 8).Select(_ => east.CoolDown(Now, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)).TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], waits);
        east.Succeeded();
        Assert.Equal(TimeSpan.FromSeconds(1), east.CoolDown(Now, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
    }
}
