using System.Text.RegularExpressions;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The emulator's stand-in for a tokenizer: one token per whitespace-separated word, so usage
/// numbers are predictable in tests and always add up.
/// </summary>
internal static partial class TextMetrics
{
    public static int CountTokens(string text) => WordPattern().Count(text);

    /// <summary>Splits text into one piece per word, each with its trailing whitespace; the pieces concatenate back to the text.</summary>
    public static IReadOnlyList<string> SplitIntoTokenPieces(string text)
    {
        var pieces = new List<string>();
        int start = 0;
        foreach (ValueMatch match in PieceEndPattern().EnumerateMatches(text))
        {
            pieces.Add(text[start..(match.Index + match.Length)]);
            start = match.Index + match.Length;
        }

        return pieces;
    }

    [GeneratedRegex(@"\S+")]
    private static partial Regex WordPattern();

    // Leading whitespace joins the first piece, trailing whitespace the piece before it.
    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex PieceEndPattern();
}
