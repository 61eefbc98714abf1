using System.Text;
using System.Text.RegularExpressions;

namespace DocApp;

/// <summary>
/// Splits text into chunks of paragraphs. A markdown heading starts a new chunk, so sections are
/// never mixed; paragraphs of one section are packed up to a size, and when a section goes on in a
/// new chunk, that chunk starts with the end of the previous one (the overlap), so a sentence cut at
/// the boundary is still found whole.
/// </summary>
public static partial class TextChunker
{
    /// <summary>Splits <paramref name="text"/> into chunks of at most <paramref name="maxChunkChars"/> characters.</summary>
    /// <param name="text">The document's text.</param>
    /// <param name="maxChunkChars">The longest chunk, in characters.</param>
    /// <param name="overlapChars">How much of a chunk's end starts the next one in the same section, in characters.</param>
    /// <returns>The chunks, in document order.</returns>
    public static IReadOnlyList<string> Split(string text, int maxChunkChars = DocAppLimits.ChunkChars, int overlapChars = DocAppLimits.ChunkOverlapChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkChars, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(overlapChars);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(overlapChars, maxChunkChars / 2);

        var chunks = new List<string>();
        var current = new StringBuilder();
        foreach (var block in BlankLines().Split(text.Replace("\r\n", "\n", StringComparison.Ordinal)))
        {
            var paragraph = block.Trim();
            if (paragraph.Length == 0)
            {
                continue;
            }

            if (paragraph.StartsWith('#'))
            {
                Flush(chunks, current);
            }

            if (paragraph.Length > maxChunkChars)
            {
                Flush(chunks, current);
                chunks.AddRange(Windows(paragraph, maxChunkChars, overlapChars));
                continue;
            }

            if (current.Length > 0 && current.Length + 2 + paragraph.Length > maxChunkChars)
            {
                var tail = Tail(current.ToString(), overlapChars);
                Flush(chunks, current);
                if (tail.Length > 0 && tail.Length + 2 + paragraph.Length <= maxChunkChars)
                {
                    current.Append(tail);
                }
            }

            if (current.Length > 0)
            {
                current.Append("\n\n");
            }

            current.Append(paragraph);
        }

        Flush(chunks, current);
        return chunks;
    }

    private static void Flush(List<string> chunks, StringBuilder current)
    {
        if (current.Length > 0)
        {
            chunks.Add(current.ToString());
            current.Clear();
        }
    }

    // Windows over a paragraph longer than a chunk, each ending at a word boundary where one is near.
    private static IEnumerable<string> Windows(string paragraph, int maxChunkChars, int overlapChars)
    {
        var start = 0;
        while (start < paragraph.Length)
        {
            var end = Math.Min(start + maxChunkChars, paragraph.Length);
            if (end < paragraph.Length)
            {
                var space = paragraph.LastIndexOf(' ', end - 1, end - start);
                if (space > start + maxChunkChars / 2)
                {
                    end = space;
                }
            }

            yield return paragraph[start..end].Trim();
            if (end == paragraph.Length)
            {
                yield break;
            }

            // Each window starts after the previous one started, so the loop ends.
            start = Math.Max(end - overlapChars, start + 1);
            var next = paragraph.IndexOf(' ', start, end - start);
            if (next >= 0 && next + 1 < end)
            {
                start = next + 1;
            }
        }
    }

    // The last overlapChars characters of a chunk, starting at a word.
    private static string Tail(string chunk, int overlapChars)
    {
        if (overlapChars == 0)
        {
            return string.Empty;
        }

        if (chunk.Length <= overlapChars)
        {
            return chunk;
        }

        var tail = chunk[^overlapChars..];
        var space = tail.IndexOfAny([' ', '\n']);
        return (space >= 0 ? tail[(space + 1)..] : tail).Trim();
    }

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex BlankLines();
}
