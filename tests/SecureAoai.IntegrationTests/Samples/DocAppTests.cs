using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DocApp;
using SecureAoai.IntegrationTests.Infrastructure;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace SecureAoai.IntegrationTests.Samples;

/// <summary>The document sample on a real Kestrel, embedding and answering through the emulator, driven over loopback.</summary>
public sealed class DocAppTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    // The emulator's embeddings are hashes of the text: equal texts get equal vectors, and any two
    // different texts are unrelated. So a question ranks a chunk first by cosine only when it is that
    // chunk's text; each section below is one paragraph, which the chunker keeps as one chunk.
    private const string Tides = "## Tides\nThe moon pulls the oceans into two bulges, so most coasts see two high tides a day.";
    private const string Volcanoes = "## Volcanoes\nMagma rises through cracks in the crust and erupts as lava, ash and gas.";
    private const string Glaciers = "## Glaciers\nSnow compacts into ice over centuries and flows downhill under its own weight.";
    private const string Guide = "# Earth guide\n\n" + Tides + "\n\n" + Volcanoes + "\n\n" + Glaciers + "\n";

    [Fact]
    public async Task GetRoot_ServesTheUploadAndAskFormsWithNoExternalUrls()
    {
        await using var host = await StartAsync();

        var page = await host.Client.GetStringAsync(new Uri("/", UriKind.Relative));
        var script = await host.Client.GetStringAsync(new Uri("/app.js", UriKind.Relative));

        Assert.Contains("<form id=\"upload-form\"", page, StringComparison.Ordinal);
        Assert.Contains("<form id=\"ask-form\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", page + script, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", page + script, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ask_QuestionIsOneSectionsText_CitesThatSectionFirst()
    {
        await using var host = await StartAsync();
        using var upload = await UploadRawAsync(host.Client, Guide, "earth.md");
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var summary = await upload.Content.ReadFromJsonAsync<DocumentSummary>();
        Assert.Equal(new DocumentSummary("earth.md", Encoding.UTF8.GetByteCount(Guide), 4), summary);

        using var response = await host.Client.PostAsJsonAsync(new Uri("/api/ask", UriKind.Relative), new { question = Volcanoes });
        response.EnsureSuccessStatusCode();
        var answer = await response.Content.ReadFromJsonAsync<AskResponse>();

        Assert.NotNull(answer);
        Assert.False(string.IsNullOrWhiteSpace(answer.Answer));
        Assert.Equal(DocAppLimits.TopK, answer.Citations.Count);
        var first = answer.Citations[0];
        Assert.Equal((1, 2, "earth.md", Volcanoes), (first.Number, first.ChunkIndex, first.DocumentName, first.Excerpt));
        Assert.Equal(1.0, first.Score, precision: 3);
        Assert.True(answer.Citations.Zip(answer.Citations.Skip(1)).All(p => p.First.Score >= p.Second.Score), "citations are ordered by similarity");
        Assert.Contains("[1] (earth.md, chunk 2)", answer.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadDocuments_MultipartFile_IsStoredUnderItsFileName()
    {
        await using var host = await StartAsync();
        using var form = new MultipartFormDataContent();
        var file = new StringContent(Guide, Encoding.UTF8);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        form.Add(file, "file", "notes.md");

        using var upload = await host.Client.PostAsync(new Uri("/api/documents", UriKind.Relative), form);
        var documents = await host.Client.GetFromJsonAsync<List<DocumentSummary>>(new Uri("/api/documents", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal([new DocumentSummary("notes.md", Encoding.UTF8.GetByteCount(Guide), 4)], documents);
    }

    [Fact]
    public async Task UploadDocuments_OverTheLimit_Is413WithTheLimitInTheMessage()
    {
        await using var host = await StartAsync();

        using var response = await UploadRawAsync(host.Client, new string('a', DocAppLimits.MaxDocumentBytes + 1), "big.txt");
        var problem = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"the limit is {DocAppLimits.MaxDocumentBytes} bytes (1 MiB)", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("%PDF-1.7 but nothing more", "paper.pdf")]
    [InlineData("not an image", "photo.png")]
    public async Task UploadDocuments_NotReadable_Is415(string content, string name)
    {
        await using var host = await StartAsync();

        using var response = await UploadRawAsync(host.Client, content, name);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task UploadDocuments_Pdf_AnswersFromItsText()
    {
        await using var host = await StartAsync();
        var pdf = new PdfDocumentBuilder();
        var font = pdf.AddStandard14Font(Standard14Font.Helvetica);
        pdf.AddPage(PageSize.A4).AddText("Lighthouses guide ships past the rocks at night.", 12, new PdfPoint(50, 700), font);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(pdf.Build());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", "coast.pdf");

        using var upload = await host.Client.PostAsync(new Uri("/api/documents", UriKind.Relative), form);
        using var response = await host.Client.PostAsJsonAsync(new Uri("/api/ask", UriKind.Relative), new { question = "What guides ships?" });
        var answer = await response.Content.ReadFromJsonAsync<AskResponse>();

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var citation = Assert.Single(answer!.Citations);
        Assert.Equal("coast.pdf", citation.DocumentName);
        Assert.Contains("Lighthouses guide ships past the rocks at night.", citation.Excerpt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"question\":\"  \"}")]
    [InlineData("{}")]
    public async Task Ask_EmptyQuestion_Is400(string body)
    {
        await using var host = await StartAsync();
        using var upload = await UploadRawAsync(host.Client, Guide, "earth.md");

        using var response = await host.Client.PostAsync(new Uri("/api/ask", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("empty", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_NoDocuments_Is409()
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsJsonAsync(new Uri("/api/ask", UriKind.Relative), new { question = "anything?" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    private Task<SampleAppHost> StartAsync() => SampleAppHost.StartAsync(fixture.Settings(), DocAppHost.ConfigureServices, DocAppHost.MapEndpoints);

    private static Task<HttpResponseMessage> UploadRawAsync(HttpClient client, string text, string name) =>
        client.PostAsync(new Uri($"/api/documents?name={Uri.EscapeDataString(name)}", UriKind.Relative), new StringContent(text, Encoding.UTF8, "text/markdown"));
}
