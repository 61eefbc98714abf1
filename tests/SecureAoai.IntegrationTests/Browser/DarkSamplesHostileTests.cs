using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace SecureAoai.IntegrationTests.Browser;

/// <summary>
/// ChatApp and DocApp behind their loopback tunnels, as the quick start hosts them, against what any web
/// page open in the user's browser can send there: its own host name once DNS rebinding points it at
/// 127.0.0.1, and a form posted from its site. The tunnel dials as the user, so only the apps can refuse.
/// </summary>
public sealed class DarkSamplesHostileTests(DarkSamplesFixture apps) : IClassFixture<DarkSamplesFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ChatApp_RequestNamingAnotherHost_Refused400()
    {
        using var http = new HttpClient { Timeout = Wait };
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(apps.ChatUrl, "api/me")) { Headers = { Host = $"rebound.attacker.example:{apps.ChatUrl.Port}" } };
        using var own = new HttpRequestMessage(HttpMethod.Get, new Uri(apps.ChatUrl, "api/me"));

        using var refused = await http.SendAsync(rebound);
        using var served = await http.SendAsync(own);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain("browser", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task DocApp_UploadWithAnotherOrigin_Refused403AndNotStored()
    {
        using var http = new HttpClient { Timeout = Wait };
        using var planted = new HttpRequestMessage(HttpMethod.Post, new Uri(apps.DocUrl, "api/documents?name=planted-by-origin.md"))
        {
            Content = new StringContent("# Planted", Encoding.UTF8, "text/markdown"),
            Headers = { { "Origin", "http://attacker.example" } },
        };

        using var response = await http.SendAsync(planted);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("planted-by-origin.md", await DocumentNamesAsync(http), StringComparer.Ordinal);
    }

    [Fact]
    public async Task DocApp_FormPostedByAPageOnAnotherSite_InChromium_Refused403AndNotStored()
    {
        // The attacker's page: another site on this machine (localhost, not 127.0.0.1), whose form
        // posts a "document" to DocApp's tunnel as soon as it loads.
        var target = new Uri(apps.DocUrl, "api/documents?name=planted-by-form.md");
        await using var attacker = await StartAttackerSiteAsync($"""
            <!doctype html><title>Win a prize</title>
            <form id="f" method="POST" action="{target}" enctype="text/plain"><input name="planted" value="yes"></form>
            <script>document.getElementById("f").submit();</script>
            """);
        var attackerPort = new Uri(attacker.Urls.Single()).Port;
        var (playwright, browser) = await BrowserTests.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        var posted = page.WaitForResponseAsync(r => r.Url == target.ToString(), new() { Timeout = (float)Wait.TotalMilliseconds });
        await page.GotoAsync($"http://localhost:{attackerPort}/");
        var response = await posted;

        Assert.Equal((int)HttpStatusCode.Forbidden, response.Status);
        using var http = new HttpClient { Timeout = Wait };
        Assert.DoesNotContain("planted-by-form.md", await DocumentNamesAsync(http), StringComparer.Ordinal);
    }

    private async Task<IReadOnlyList<string>> DocumentNamesAsync(HttpClient http)
    {
        var documents = await http.GetFromJsonAsync<JsonElement>(new Uri(apps.DocUrl, "api/documents"));
        return [.. documents.EnumerateArray().Select(d => d.GetProperty("name").GetString()!)];
    }

    private static async Task<WebApplication> StartAttackerSiteAsync(string html)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var site = builder.Build();
        site.MapGet("/", () => Results.Content(html, "text/html"));
        await site.StartAsync();
        return site;
    }
}
