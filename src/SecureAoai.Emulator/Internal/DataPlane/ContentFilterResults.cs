using System.Text.Json.Nodes;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The content filter annotations Azure adds to chat answers with the default (synchronous) filter,
/// in the shapes the recordings show: per prompt, per buffered choice, per streamed content chunk.
/// Every category is <c>safe</c> except, when the output filter stops an answer, <c>violence</c>.
/// </summary>
internal static class ContentFilterResults
{
    /// <summary>The severity the emulator reports for the category that stopped an answer.</summary>
    public const string FilteredSeverity = "medium";

    /// <summary><c>prompt_filter_results</c>: one entry for the prompt, with the jailbreak check.</summary>
    public static JsonArray Prompt() => new(new JsonObject
    {
        ["prompt_index"] = 0,
        ["content_filter_results"] = new JsonObject
        {
            ["hate"] = Category(),
            ["jailbreak"] = Detection(),
            ["self_harm"] = Category(),
            ["sexual"] = Category(),
            ["violence"] = Category(),
        },
    });

    /// <summary>A buffered choice's results, with the protected-material checks.</summary>
    public static JsonObject Choice(bool filtered)
    {
        JsonObject results = Chunk(filtered);
        results["protected_material_code"] = Detection();
        results["protected_material_text"] = Detection();
        return results;
    }

    /// <summary>A streamed content chunk's results: the four harm categories.</summary>
    public static JsonObject Chunk(bool filtered = false) => new()
    {
        ["hate"] = Category(),
        ["self_harm"] = Category(),
        ["sexual"] = Category(),
        ["violence"] = filtered ? new JsonObject { ["filtered"] = true, ["severity"] = FilteredSeverity } : Category(),
    };

    private static JsonObject Category() => new() { ["filtered"] = false, ["severity"] = "safe" };

    private static JsonObject Detection() => new() { ["filtered"] = false, ["detected"] = false };
}
