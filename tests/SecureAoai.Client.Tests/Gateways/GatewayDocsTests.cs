using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Tests.Gateways;

/// <summary>Every configuration docs/gateways.md shows passes the start-up checks as written.</summary>
public sealed partial class GatewayDocsTests
{
    /// <summary>Option 1 to 4, and option 5 from inside the VNet and through Front Door.</summary>
    private const int ConfigurationsShown = 6;

    [Fact]
    public void GatewaysPage_EveryConfigurationShown_PassesTheStartUpChecks()
    {
        var page = File.ReadAllText(FindPage());
        var blocks = JsonBlock().Matches(page).Select(m => m.Groups["json"].Value).ToArray();

        Assert.Equal(ConfigurationsShown, blocks.Length);
        Assert.All(blocks, json =>
        {
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("{" + json + "}"))).Build();
            var services = new ServiceCollection().AddLogging();
            services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
            using var provider = services.BuildServiceProvider();
            var options = provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value;
            Assert.True(options.Endpoint is not null || options.Endpoints.Count > 0);
        });
    }

    private static string FindPage()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var page = Path.Combine(directory.FullName, "docs", "gateways.md");
            if (File.Exists(page))
            {
                return page;
            }
        }

        throw new FileNotFoundException("docs/gateways.md was not found above the test assembly.");
    }

    [GeneratedRegex("```json\\n(?<json>\"SecureOpenAI\": \\{.*?\\n\\})\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
