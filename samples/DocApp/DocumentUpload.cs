using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace DocApp;

/// <summary>
/// Reads an uploaded document from a request: a multipart form's first file, or the raw body named
/// by <c>?name=</c>. Refuses, with a message saying why, what is too large or not text.
/// </summary>
internal static class DocumentUpload
{
    private static readonly string[] TextExtensions = [".txt", ".text", ".md", ".markdown"];

    public static async Task<(string Name, byte[] Bytes, IResult? Refusal)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > DocAppLimits.MaxDocumentBytes + DocAppLimits.MaxMultipartOverheadBytes
            || (!request.HasFormContentType && request.ContentLength > DocAppLimits.MaxDocumentBytes))
        {
            return Refuse(TooLarge(request.ContentLength.Value));
        }

        // Kestrel stops reading past this, whatever the request claims.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = DocAppLimits.MaxDocumentBytes + DocAppLimits.MaxMultipartOverheadBytes;
        }

        try
        {
            return request.HasFormContentType ? await ReadFormAsync(request, cancellationToken) : await ReadBodyAsync(request, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refuse(TooLarge(null));
        }
        catch (InvalidDataException ex)
        {
            return Refuse(Results.Problem($"The upload could not be read as a form: {ex.Message}", statusCode: StatusCodes.Status400BadRequest));
        }
    }

    /// <summary>Reads the text of <paramref name="bytes"/>: a PDF's pages, or UTF-8 text; or says why it cannot.</summary>
    public static (string? Text, IResult? Refusal) Decode(string name, byte[] bytes)
    {
        var extension = Path.GetExtension(name).ToLowerInvariant();
        if (extension == ".pdf" || bytes.AsSpan().StartsWith("%PDF-"u8))
        {
            return PdfText.Read(name, bytes);
        }

        if (extension.Length > 0 && !TextExtensions.Contains(extension))
        {
            return (null, Results.Problem(
                $"'{name}' is not a text, markdown or PDF document. Upload .txt, .md or .pdf files.",
                statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return (null, Results.Problem($"'{name}' is not UTF-8 text.", statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return (null, Results.Problem($"'{name}' holds binary data, not text.", statusCode: StatusCodes.Status415UnsupportedMediaType));
        }

        return string.IsNullOrWhiteSpace(text)
            ? (null, Results.Problem($"'{name}' is empty.", statusCode: StatusCodes.Status400BadRequest))
            : (text, null);
    }

    private static async Task<(string, byte[], IResult?)> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var form = await request.ReadFormAsync(cancellationToken);
        if ((form.Files["file"] ?? (form.Files.Count > 0 ? form.Files[0] : null)) is not { } file)
        {
            return Refuse(Results.Problem("The form has no file. Send the document in a field named 'file'.", statusCode: StatusCodes.Status400BadRequest));
        }

        if (file.Length > DocAppLimits.MaxDocumentBytes)
        {
            return Refuse(TooLarge(file.Length));
        }

        using var content = new MemoryStream((int)file.Length);
        await file.CopyToAsync(content, cancellationToken);
        return (CleanName(file.FileName), content.ToArray(), null);
    }

    private static async Task<(string, byte[], IResult?)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (content.Length + read > DocAppLimits.MaxDocumentBytes)
            {
                return Refuse(TooLarge(null));
            }

            content.Write(buffer, 0, read);
        }

        var fallback = request.ContentType?.StartsWith("text/markdown", StringComparison.OrdinalIgnoreCase) == true ? "document.md" : "document.txt";
        return (CleanName(request.Query["name"].ToString(), fallback), content.ToArray(), null);
    }

    private static string CleanName(string? name, string fallback = "document.txt")
    {
        var clean = Path.GetFileName(name?.Trim() ?? string.Empty);
        if (clean.Length == 0)
        {
            return fallback;
        }

        return clean.Length <= DocAppLimits.MaxDocumentNameChars ? clean : clean[..DocAppLimits.MaxDocumentNameChars];
    }

    private static IResult TooLarge(long? bytes) => Results.Problem(
        (bytes is long size ? $"The document is {size} bytes; " : "The document is too large; ")
            + $"the limit is {DocAppLimits.MaxDocumentBytes} bytes (1 MiB). Split it into smaller documents.",
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Document too large");

    private static (string, byte[], IResult?) Refuse(IResult refusal) => (string.Empty, [], refusal);
}
