using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Tests.Failover;

public sealed class FailoverOptionsValidationTests
{
    private static string ValidationMessage(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value);
        return string.Join(" | ", error.Failures);
    }

    private static Dictionary<string, string?> TwoEndpoints() => new()
    {
        ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
        ["SecureOpenAI:Endpoints:0:Name"] = "east",
        ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-east.openai.azure.com/",
        ["SecureOpenAI:Endpoints:1:Name"] = "west",
        ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-west.openai.azure.com/",
    };

    [Fact]
    public void Validate_EndpointAndEndpoints_SaysUseOne()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/";

        Assert.Contains("SecureOpenAI:Endpoint and SecureOpenAI:Endpoints are both set", ValidationMessage(settings), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EndpointWithoutNameOrUri_NamesTheIndex()
    {
        var settings = TwoEndpoints();
        settings.Remove("SecureOpenAI:Endpoints:1:Name");
        settings.Remove("SecureOpenAI:Endpoints:1:Uri");
        settings["SecureOpenAI:Endpoints:1:Priority"] = "2";

        var message = ValidationMessage(settings);

        Assert.Contains("SecureOpenAI:Endpoints:1:Name is missing", message, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Endpoints:1:Uri is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateNameAndUri_Refused()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Endpoints:1:Name"] = "east";
        settings["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-east.openai.azure.com/";

        var message = ValidationMessage(settings);

        Assert.Contains("Name 'east' is used twice", message, StringComparison.Ordinal);
        Assert.Contains("is listed twice", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EndpointDeploymentForUnknownKey_ListsTheKnownKeys()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Endpoints:1:Deployments:chatt"] = "gpt-4o-mini-west";

        Assert.Contains("SecureOpenAI:Endpoints:1:Deployments:chatt names no deployment", ValidationMessage(settings), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EndpointRegionalOrHttp_NamesTheEndpoint()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Endpoints:0:Uri"] = "https://eastus.api.cognitive.microsoft.com/";
        settings["SecureOpenAI:Endpoints:1:Uri"] = "http://contoso-west.openai.azure.com/";

        var message = ValidationMessage(settings);

        Assert.Contains("SecureOpenAI:Endpoints:0:Uri 'https://eastus.api.cognitive.microsoft.com/' is a regional endpoint", message, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Endpoints:1:Uri 'http://contoso-west.openai.azure.com/' does not use https", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EndpointNetworkBadDnsServer_NamesTheEndpointSetting()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Endpoints:1:Network:DnsServers:0"] = "dns.example";

        Assert.Contains("SecureOpenAI:Endpoints:1:Network:DnsServers entry 'dns.example'", ValidationMessage(settings), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AttemptTimeoutLongerThanTotal_Refused()
    {
        var settings = TwoEndpoints();
        settings["SecureOpenAI:Failover:AttemptTimeout"] = "00:05:00";
        settings["SecureOpenAI:Failover:TotalTimeout"] = "00:01:00";

        Assert.Contains("AttemptTimeout no longer than TotalTimeout", ValidationMessage(settings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AttemptTimeout", "00:00:00.005", "SecureOpenAI:Failover:AttemptTimeout is 0.005 s; it must be between 10 ms and 1 day")]
    [InlineData("BreakerBreakDuration", "00:00:00.100", "SecureOpenAI:Failover:BreakerBreakDuration is 0.1 s; it must be between 0.5 s and 1 day")]
    [InlineData("BreakerBreakDuration", "2.00:00:00", "SecureOpenAI:Failover:BreakerBreakDuration is 172800 s; it must be between 0.5 s and 1 day")]
    public void Validate_DurationOutsideWhatTheResiliencePipelineAccepts_RefusedAtStartNamingTheSetting(string setting, string value, string expected)
    {
        var settings = TwoEndpoints();
        settings[$"SecureOpenAI:Failover:{setting}"] = value;

        Assert.Contains(expected, ValidationMessage(settings), StringComparison.Ordinal);
    }
}
