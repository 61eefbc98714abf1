using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Tests.Gateways;

/// <summary>What the start-up checks say about gateway endpoints: path prefixes, scopes, subscription keys.</summary>
public sealed class GatewayOptionsValidationTests
{
    private static IReadOnlyList<string> Failures(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException error)
        {
            return [.. error.Failures];
        }
    }

    [Theory]
    [InlineData("https://contoso-apim.azure-api.net/aoai/")]
    [InlineData("https://contoso-apim.azure-api.net/aoai")]
    [InlineData("https://contoso-apim.azure-api.net/gateways/east/openai/")]
    public void Validate_GatewayEndpointWithPathPrefix_Passes(string endpoint)
    {
        var failures = Failures(new() { ["SecureOpenAI:Endpoint"] = endpoint });

        Assert.Empty(failures);
    }

    [Fact]
    public void Validate_EndpointWithQueryString_RefusedWithoutEchoingTheQuery()
    {
        var failures = Failures(new() { ["SecureOpenAI:Endpoint"] = "https://contoso-apim.azure-api.net/aoai/?subscription-key=s3cret" });

        var failure = Assert.Single(failures);
        Assert.Contains("query string", failure, StringComparison.Ordinal);
        Assert.Contains("SubscriptionKey", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoGatewaysOnOneHostWithDifferentPrefixes_Pass()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "east",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/east/",
            ["SecureOpenAI:Endpoints:1:Name"] = "west",
            ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-apim.azure-api.net/west/",
        });

        Assert.Empty(failures);
    }

    [Fact]
    public void Validate_SameGatewayPathTwice_Refused()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "a",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:Endpoints:1:Name"] = "b",
            ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-apim.azure-api.net/aoai/openai/v1/",
        });

        Assert.Contains(failures, f => f.Contains("SecureOpenAI:Endpoints:1:Uri", StringComparison.Ordinal) && f.Contains("listed twice", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EndpointsSharingAHostWithDifferentNetworks_Refused()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "east",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/east/",
            ["SecureOpenAI:Endpoints:1:Name"] = "west",
            ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-apim.azure-api.net/west/",
            ["SecureOpenAI:Endpoints:1:Network:Policy"] = "AllowPublic",
        });

        Assert.Contains(failures, f => f.Contains("SecureOpenAI:Endpoints:1:Network differs from that of SecureOpenAI:Endpoints:0", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_TwoFrontDoorRoutesOnOneHostWithTheSameOwnNetwork_Pass()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "afd-east",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-aoai-a1b2c3.z01.azurefd.net/east/",
            ["SecureOpenAI:Endpoints:0:Network:Policy"] = "AllowPublic",
            ["SecureOpenAI:Endpoints:1:Name"] = "afd-west",
            ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-aoai-a1b2c3.z01.azurefd.net/west/",
            ["SecureOpenAI:Endpoints:1:Network:Policy"] = "AllowPublic",
        });

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("SecureOpenAI:SubscriptionKey")]
    [InlineData("SecureOpenAI:Endpoints:0:SubscriptionKey")]
    public void Validate_SubscriptionKeyWithoutAllowSubscriptionKey_RefusedNamingTheSettingNotTheKey(string setting)
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "apim",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/aoai/",
            [setting] = "k-7f3a9",
        });

        var failure = Assert.Single(failures);
        Assert.Contains($"{setting} is set", failure, StringComparison.Ordinal);
        Assert.Contains("AllowSubscriptionKey is false", failure, StringComparison.Ordinal);
        Assert.Contains("Entra ID", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("k-7f3a9", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SubscriptionKeyAllowed_PassesWithEitherHeader()
    {
        Assert.Empty(Failures(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:SubscriptionKey"] = "k",
            ["SecureOpenAI:AllowSubscriptionKey"] = "true",
        }));
        Assert.Empty(Failures(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:SubscriptionKey"] = "k",
            ["SecureOpenAI:SubscriptionKeyHeader"] = "api-key",
            ["SecureOpenAI:AllowSubscriptionKey"] = "true",
        }));
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("Host")]
    [InlineData("api key")]
    [InlineData("")]
    public void Validate_SubscriptionKeyHeaderNotAKeyHeader_Refused(string header)
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:SubscriptionKey"] = "k",
            ["SecureOpenAI:SubscriptionKeyHeader"] = header,
            ["SecureOpenAI:AllowSubscriptionKey"] = "true",
        });

        Assert.Contains(failures, f => f.Contains("SecureOpenAI:SubscriptionKeyHeader", StringComparison.Ordinal) && f.Contains("Ocp-Apim-Subscription-Key", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ApiKeyAndSubscriptionKeyBoth_Refused()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:ApiKey"] = "a",
            ["SecureOpenAI:AllowApiKey"] = "true",
            ["SecureOpenAI:SubscriptionKey"] = "s",
            ["SecureOpenAI:AllowSubscriptionKey"] = "true",
        });

        Assert.Contains(failures, f => f.Contains("SecureOpenAI:ApiKey and SecureOpenAI:SubscriptionKey are both set", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ScopeOnAnEndpointThatUsesAKey_Refused()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:AllowSubscriptionKey"] = "true",
            ["SecureOpenAI:Endpoints:0:Name"] = "apim",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:Endpoints:0:SubscriptionKey"] = "k",
            ["SecureOpenAI:Endpoints:0:Scope"] = "api://contoso-gateway/.default",
        });

        Assert.Contains(failures, f => f.Contains("SecureOpenAI:Endpoints:0:Scope is set, but the endpoint authenticates with a key (SecureOpenAI:Endpoints:0:SubscriptionKey)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("api://contoso-gateway/.default", true)]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301/.default", true)]
    [InlineData("contoso gateway", false)]
    [InlineData("gateway", false)]
    public void Validate_EndpointScope_MustBeAScope(string scope, bool valid)
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "apim",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:Endpoints:0:Scope"] = scope,
        });

        Assert.Equal(valid, !failures.Any(f => f.Contains("SecureOpenAI:Endpoints:0:Scope", StringComparison.Ordinal)));
    }

    [Fact]
    public void Validate_RegionalEndpointWithEntraInAList_StillRefusedAndGatewayBesideItIsNot()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "regional",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://eastus.api.cognitive.microsoft.com/",
            ["SecureOpenAI:Endpoints:1:Name"] = "apim",
            ["SecureOpenAI:Endpoints:1:Uri"] = "https://contoso-apim.azure-api.net/aoai/",
            ["SecureOpenAI:Endpoints:1:Scope"] = "api://contoso-gateway/.default",
        });

        var failure = Assert.Single(failures);
        Assert.Contains("SecureOpenAI:Endpoints:0:Uri", failure, StringComparison.Ordinal);
        Assert.Contains("custom subdomain", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FrontDoorEndpointUnderRequirePrivate_RefusedNamingItsPolicySetting()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "afd",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-fd-abc123.z01.azurefd.net/aoai/",
            ["SecureOpenAI:Endpoints:0:Network:Policy"] = "RequirePrivate",
        });

        var failure = Assert.Single(failures);
        Assert.Contains("Front Door", failure, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Endpoints:0:Network:Policy to AllowPublic", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FrontDoorEndpointWithItsOwnAllowPublic_Passes()
    {
        var failures = Failures(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "afd",
            ["SecureOpenAI:Endpoints:0:Uri"] = "https://contoso-fd-abc123.z01.azurefd.net/aoai/",
            ["SecureOpenAI:Endpoints:0:Scope"] = "api://contoso-gateway/.default",
            ["SecureOpenAI:Endpoints:0:Network:Policy"] = "AllowPublic",
        });

        Assert.Empty(failures);
    }
}
