using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using static SecureAoai.Client.Tests.Failover.ScriptedNetwork;

namespace SecureAoai.Client.Tests.Failover;

/// <summary>
/// What Microsoft.Extensions.Http.Resilience's own routing (AddStandardHedgingHandler with ordered
/// groups) does not express, and so why SecureOpenAI plugs its own routing and request rewrite into
/// the library's hedging strategy. These pin the library's behaviour: if one starts failing, the
/// library learned it, and our glue can shrink.
/// </summary>
public sealed class StandardHedgingLimitsTests
{
    private static HttpClient Standard(ScriptedNetwork network, params string[] endpoints)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("standard")
            .ConfigurePrimaryHttpMessageHandler(() => network)
            .AddStandardHedgingHandler(routing => routing.ConfigureOrderedGroups(o =>
            {
                foreach (var endpoint in endpoints)
                {
                    o.Groups.Add(new UriEndpointGroup { Endpoints = { new WeightedUriEndpoint { Uri = new Uri(endpoint) } } });
                }
            }));
        return services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>().CreateClient("standard");
    }

    [Fact]
    public async Task OrderedGroups_FirstEndpointThrottledForAMinute_NextRequestStillTriesItFirst()
    {
        var network = new ScriptedNetwork();
        network.Answer("east", () => Status(HttpStatusCode.TooManyRequests, ("retry-after-ms", "60000")));
        using var client = Standard(network, "https://east.openai.azure.com/", "https://west.openai.azure.com/");

        using var first = await client.GetAsync(new Uri("https://east.openai.azure.com/openai/v1/models"));
        using var second = await client.GetAsync(new Uri("https://east.openai.azure.com/openai/v1/models"));

        // Both served by west, but each went to the throttled east first: no cooldown to skip it.
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, network.CountFor("east"));
    }

    [Fact]
    public async Task OrderedGroups_FailoverToGatewayWithPathPrefix_PrefixIsLost()
    {
        var network = new ScriptedNetwork();
        network.Answer("east", () => Status(HttpStatusCode.ServiceUnavailable));
        using var client = Standard(network, "https://east.openai.azure.com/", "https://contoso-apim.azure-api.net/aoai/");

        using var response = await client.GetAsync(new Uri("https://east.openai.azure.com/openai/v1/models"));

        // Routing replaces scheme, host and port only (dotnet/extensions#6298): "/aoai" is gone.
        Assert.Equal("/openai/v1/models", network.Sent.Single(u => u.Host == "contoso-apim.azure-api.net").AbsolutePath);
    }
}
