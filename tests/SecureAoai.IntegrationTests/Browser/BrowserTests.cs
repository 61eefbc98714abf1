using Microsoft.Playwright;

namespace SecureAoai.IntegrationTests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright, opens the dark apps through their loopback
/// tunnels as a person would. Screenshots go to the test output folder.
/// </summary>
public sealed class BrowserTests(DarkSamplesFixture apps) : IClassFixture<DarkSamplesFixture>
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    internal static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        // Under CI a missing Chromium is a failure (.ci/run installs it); nothing is skipped.
        Assert.True(File.Exists(ChromiumPath), $"Chromium not found at {ChromiumPath}; ./test.sh installs the Debian package 'chromium'.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        return (playwright, browser);
    }

    private static string Screenshot(string name) =>
        Path.Combine(AppContext.BaseDirectory, "screenshots", $"{name}-{DateTime.UtcNow:yyyyMMddHHmmss}.png");

    [Fact]
    public async Task ChatApp_ThroughTunnel_SendsMessageAndShowsStreamedAnswerAndCaller()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(apps.ChatUrl.ToString());
        await Assertions.Expect(page.Locator("#caller-name")).ToHaveTextAsync("browser", new() { Timeout = (float)Wait.TotalMilliseconds });
        await page.FillAsync("#message", "Tell me about dark apps and private endpoints");
        await page.ClickAsync("#send");
        var answer = page.Locator("#messages li.assistant").Last;
        await Assertions.Expect(answer).ToContainTextAsync("dark apps and private endpoints", new() { Timeout = (float)Wait.TotalMilliseconds });

        var path = Screenshot("chatapp");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0);
    }

    [Fact]
    public async Task DocApp_ThroughTunnel_UploadAskAndSeeCitedAnswer()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        var document = Path.Combine(Path.GetTempPath(), $"guide-{Guid.NewGuid():N}.md");
        await File.WriteAllTextAsync(document, """
            # Private endpoints
            Private endpoints give the resource an address inside your virtual network.

            # Failover
            Failover moves a throttled request to the next region at once and honours Retry-After.

            # Dark apps
            A dark app listens on no port; callers reach it through the overlay by service name.
            """);
        try
        {
            await page.GotoAsync(apps.DocUrl.ToString());
            await Assertions.Expect(page.Locator("#caller-name")).ToHaveTextAsync("browser", new() { Timeout = (float)Wait.TotalMilliseconds });
            await page.SetInputFilesAsync("#file", document);
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("#documents")).ToContainTextAsync("guide-", new() { Timeout = (float)Wait.TotalMilliseconds });

            await page.FillAsync("#question", "How does failover treat a throttled request?");
            await page.ClickAsync("#ask");
            await Assertions.Expect(page.Locator("#answer")).Not.ToBeEmptyAsync(new() { Timeout = (float)Wait.TotalMilliseconds });
            await Assertions.Expect(page.Locator("#citations li").First).ToContainTextAsync("Failover moves a throttled request", new() { Timeout = (float)Wait.TotalMilliseconds });

            var path = Screenshot("docapp");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            Assert.True(new FileInfo(path).Length > 0);
        }
        finally
        {
            File.Delete(document);
        }
    }
}
