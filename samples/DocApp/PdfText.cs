using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace DocApp;

/// <summary>Reads the text of a PDF with PdfPig, page by page, in reading order.</summary>
internal static class PdfText
{
    public static (string? Text, IResult? Refusal) Read(string name, byte[] bytes)
    {
        List<string> pages = [];
        try
        {
            using var pdf = PdfDocument.Open(bytes);
            if (pdf.NumberOfPages > DocAppLimits.MaxPdfPages)
            {
                return (null, Results.Problem(
                    $"'{name}' has {pdf.NumberOfPages} pages; the limit is {DocAppLimits.MaxPdfPages}.",
                    statusCode: StatusCodes.Status413PayloadTooLarge,
                    title: "Document too large"));
            }

            foreach (var page in pdf.GetPages())
            {
                pages.Add(ContentOrderTextExtractor.GetText(page));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // PdfPig throws several types for damaged or encrypted files; each means "cannot read".
            return (null, Results.Problem($"'{name}' could not be read as a PDF: {ex.Message}", statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        // Pages are separated like paragraphs, so no chunk joins the end of one page to the next
        // without a break.
        var text = string.Join("\n\n", pages);
        return string.IsNullOrWhiteSpace(text)
            ? (null, Results.Problem($"'{name}' has no text to read (a scanned PDF needs OCR first).", statusCode: StatusCodes.Status415UnsupportedMediaType))
            : (text, null);
    }
}
