using System.Net;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Networking;

public sealed class NetworkPolicyEvaluatorTests
{
    private static HostResolution Answer(params string[] addresses) => new(
        "aoai-east.openai.azure.com",
        ["aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com"],
        addresses.Select(IPAddress.Parse).ToArray(),
        TimeSpan.FromSeconds(30),
        "DNS 127.0.0.1:5353");

    [Theory]
    [InlineData(NetworkPolicy.RequirePrivate)]
    [InlineData(NetworkPolicy.PreferPrivate)]
    [InlineData(NetworkPolicy.AllowPublic)]
    public void Evaluate_PrivateAnswer_AllowedUnderEveryPolicy(NetworkPolicy policy)
    {
        var verdict = NetworkPolicyEvaluator.Evaluate(Answer("10.1.2.3"), policy);

        Assert.Equal([IPAddress.Parse("10.1.2.3")], verdict.Allowed);
        Assert.False(verdict.PublicFallback);
    }

    [Fact]
    public void Evaluate_RequirePrivateLoopback_Allowed() =>
        Assert.True(NetworkPolicyEvaluator.Evaluate(Answer("127.0.0.1", "::1"), NetworkPolicy.RequirePrivate).IsAllowed);

    [Theory]
    [InlineData("20.1.2.3")]
    [InlineData("10.1.2.3", "20.1.2.3")]
    [InlineData("169.254.1.1")]
    public void Evaluate_RequirePrivateAnyNonPrivate_Refused(params string[] addresses) =>
        Assert.Empty(NetworkPolicyEvaluator.Evaluate(Answer(addresses), NetworkPolicy.RequirePrivate).Allowed);

    [Fact]
    public void Evaluate_PreferPrivateMixed_KeepsOnlyPrivate()
    {
        var verdict = NetworkPolicyEvaluator.Evaluate(Answer("20.1.2.3", "10.1.2.3"), NetworkPolicy.PreferPrivate);

        Assert.Equal([IPAddress.Parse("10.1.2.3")], verdict.Allowed);
        Assert.False(verdict.PublicFallback);
    }

    [Fact]
    public void Evaluate_PreferPrivateOnlyPublic_FallsBackAndSaysSo()
    {
        var verdict = NetworkPolicyEvaluator.Evaluate(Answer("20.1.2.3"), NetworkPolicy.PreferPrivate);

        Assert.Equal([IPAddress.Parse("20.1.2.3")], verdict.Allowed);
        Assert.True(verdict.PublicFallback);
    }

    [Fact]
    public void Evaluate_AllowPublic_PrivateFirstReservedNever()
    {
        var verdict = NetworkPolicyEvaluator.Evaluate(Answer("20.1.2.3", "0.0.0.0", "10.1.2.3"), NetworkPolicy.AllowPublic);

        Assert.Equal([IPAddress.Parse("10.1.2.3"), IPAddress.Parse("20.1.2.3")], verdict.Allowed);
    }

    [Fact]
    public void Explain_PublicThroughPrivateLink_NamesChainZoneLinkAndAzureDns()
    {
        var verdict = NetworkPolicyEvaluator.Evaluate(Answer("20.1.2.3"), NetworkPolicy.RequirePrivate);

        var message = NetworkPolicyEvaluator.Explain(verdict);

        Assert.Contains("aoai-east.openai.azure.com → aoai-east.privatelink.openai.azure.com → 20.1.2.3 (public)", message, StringComparison.Ordinal);
        Assert.Contains("DNS 127.0.0.1:5353", message, StringComparison.Ordinal);
        Assert.Contains("not linked to this client's VNet", message, StringComparison.Ordinal);
        Assert.Contains("168.63.129.16", message, StringComparison.Ordinal);
        Assert.Contains("Nothing was sent", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_PublicWithoutPrivateLink_NamesMissingEndpointOrVnetIntegration()
    {
        var resolution = new HostResolution("aoai.openai.azure.com", ["aoai.openai.azure.com", "eastus.api.cognitive.microsoft.com"], [IPAddress.Parse("20.1.2.3")], TimeSpan.FromSeconds(30), "system resolver");

        var message = NetworkPolicyEvaluator.Explain(NetworkPolicyEvaluator.Evaluate(resolution, NetworkPolicy.RequirePrivate));

        Assert.Contains("no private endpoint", message, StringComparison.Ordinal);
        Assert.Contains("VNet integration", message, StringComparison.Ordinal);
    }
}
