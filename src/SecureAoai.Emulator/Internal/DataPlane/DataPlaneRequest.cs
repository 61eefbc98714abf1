using System.Text.Json;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>An authorized data-plane request for an existing deployment of the right kind, with its JSON body.</summary>
internal sealed record DataPlaneRequest(string Deployment, JsonElement Body)
{
    public string? GetString(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int? GetInt32(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : null;

    public bool GetBoolean(string property) =>
        Body.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.True;
}
