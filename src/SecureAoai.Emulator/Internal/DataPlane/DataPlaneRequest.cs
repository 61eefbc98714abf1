using System.Text.Json;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// An authorized data-plane request for an existing deployment of the right kind, with its JSON
/// body and the api-version it was made with (<see cref="ApiVersions.V1"/> on the v1 API).
/// </summary>
internal sealed record DataPlaneRequest(EmulatedDeployment Deployment, JsonElement Body, string ApiVersion)
{
    /// <summary>Whether the answer takes the newer shape (see <see cref="ApiVersions.FirstWithUsageDetails"/>).</summary>
    public bool HasUsageDetails => ApiVersions.HasUsageDetails(ApiVersion);

    public string? GetString(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int? GetInt32(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : null;

    public bool GetBoolean(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.True;
}
