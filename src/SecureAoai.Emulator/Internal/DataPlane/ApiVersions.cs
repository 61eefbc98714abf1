namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The <c>api-version</c> values the emulator accepts on the <c>/openai/deployments/</c> and
/// <c>/openai/models</c> routes: Azure OpenAI's data-plane versions, GA and preview, as listed on
/// https://learn.microsoft.com/azure/ai-services/openai/api-version-lifecycle. Any other value is
/// refused as Azure refuses it: 400 <c>BadRequest</c> "API version not supported".
/// </summary>
internal static class ApiVersions
{
    /// <summary>The version the v1 API reports in messages; it takes no <c>api-version</c>.</summary>
    public const string V1 = "v1";

    /// <summary>
    /// From this version on (and on the v1 API) answers take the newer shape seen in the 2025
    /// recordings: <c>usage</c> with <c>completion_tokens_details</c> and <c>prompt_tokens_details</c>,
    /// and <c>refusal: null</c> in the assistant's role delta. Older versions answer as the
    /// 2024-10-21 recordings do, without them.
    /// </summary>
    public const string FirstWithUsageDetails = "2024-12-01-preview";

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21",
        "2023-03-15-preview", "2023-06-01-preview", "2023-07-01-preview", "2023-08-01-preview", "2023-09-01-preview",
        "2023-10-01-preview", "2023-12-01-preview", "2024-02-15-preview", "2024-03-01-preview", "2024-04-01-preview",
        "2024-05-01-preview", "2024-07-01-preview", "2024-08-01-preview", "2024-09-01-preview", "2024-10-01-preview",
        "2024-12-01-preview", "2025-01-01-preview", "2025-02-01-preview", "2025-03-01-preview", "2025-04-01-preview",
    };

    public static bool IsKnown(string apiVersion) => Known.Contains(apiVersion);

    /// <summary>Whether answers to this version carry the newer fields (see <see cref="FirstWithUsageDetails"/>).</summary>
    public static bool HasUsageDetails(string apiVersion) =>
        apiVersion == V1 || string.CompareOrdinal(apiVersion, FirstWithUsageDetails) >= 0;
}
