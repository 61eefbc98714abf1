using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenAI.Chat;

namespace SecureAoai.Client.Tests.Internal;

public sealed class OptionsValidationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        return services.BuildServiceProvider();
    }

    private static string ValidationMessage(Dictionary<string, string?> settings)
    {
        using var provider = Build(settings);
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value);
        return string.Join(" | ", error.Failures);
    }

    [Fact]
    public void Validate_EndpointMissing_NamesTheKey()
    {
        var message = ValidationMessage([]);

        Assert.Contains("SecureOpenAI:Endpoint is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ApiKeyWithoutAllowApiKey_RefusesAndSaysHowToUseEntra()
    {
        var message = ValidationMessage(new() { ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/", ["SecureOpenAI:ApiKey"] = "k-123" });

        Assert.Contains("AllowApiKey is false", message, StringComparison.Ordinal);
        Assert.Contains("Entra ID", message, StringComparison.Ordinal);
        Assert.DoesNotContain("k-123", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ApiKeyAllowed_Passes()
    {
        using var provider = Build(new() { ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/", ["SecureOpenAI:ApiKey"] = "k", ["SecureOpenAI:AllowApiKey"] = "true" });

        Assert.True(provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value.AllowApiKey);
    }

    [Fact]
    public void Validate_RegionalEndpointWithEntra_ExplainsCustomSubdomain()
    {
        var message = ValidationMessage(new() { ["SecureOpenAI:Endpoint"] = "https://eastus.api.cognitive.microsoft.com/" });

        Assert.Contains("regional endpoint", message, StringComparison.Ordinal);
        Assert.Contains("custom subdomain", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HttpEndpoint_Refused()
    {
        var message = ValidationMessage(new() { ["SecureOpenAI:Endpoint"] = "http://contoso.openai.azure.com/" });

        Assert.Contains("does not use https", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TrustedCaForPublicEndpoint_Refused()
    {
        var message = ValidationMessage(new() { ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/", ["SecureOpenAI:TrustedCaCertificatePath"] = "/tmp/ca.pem" });

        Assert.Contains("only for a loopback endpoint", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DeploymentWithoutName_NamesTheKey()
    {
        var message = ValidationMessage(new() { ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/", ["SecureOpenAI:Deployments:chat:Kind"] = "Chat" });

        Assert.Contains("SecureOpenAI:Deployments:chat:Name is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ClientSecretSourceWithoutSecret_NamesTheSetting()
    {
        var message = ValidationMessage(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/",
            ["SecureOpenAI:Credential:Sources:0"] = "ClientSecret",
            ["SecureOpenAI:Credential:TenantId"] = "t",
            ["SecureOpenAI:Credential:ClientId"] = "c",
        });

        Assert.Contains("SecureOpenAI:Credential:ClientSecret is not set", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidConfiguration_FailsTheHostStart()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["SecureOpenAI:Endpoint"] = "https://eastus.api.cognitive.microsoft.com/" });
        builder.AddSecureOpenAI();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("custom subdomain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatClient_TwoChatDeploymentsUnkeyed_SaysToInjectByKey()
    {
        using var provider = Build(new()
        {
            ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/",
            ["SecureOpenAI:Deployments:fast:Name"] = "gpt-4o-mini",
            ["SecureOpenAI:Deployments:smart:Name"] = "gpt-4o",
        });

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ChatClient>());

        Assert.Contains("FromKeyedServices", error.Message, StringComparison.Ordinal);
        Assert.NotNull(provider.GetRequiredKeyedService<ChatClient>("smart"));
    }

    [Fact]
    public void ChatClient_UnknownKey_ListsConfiguredDeployments()
    {
        using var provider = Build(new() { ["SecureOpenAI:Endpoint"] = "https://contoso.openai.azure.com/", ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini" });

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<ChatClient>("other"));

        Assert.Contains("Configured: chat", error.Message, StringComparison.Ordinal);
    }
}
