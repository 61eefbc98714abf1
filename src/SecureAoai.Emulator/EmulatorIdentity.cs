namespace SecureAoai.Emulator;

/// <summary>
/// A principal (a managed identity or an app registration) the emulator's token service can issue
/// access tokens for.
/// </summary>
public sealed class EmulatorIdentity
{
    /// <summary>
    /// The application (client) id, sent as <c>client_id</c> to select a user-assigned identity and
    /// written to the <c>appid</c> and <c>azp</c> claims. The default value is an empty string, which
    /// is refused at start: set it.
    /// </summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>
    /// The principal's object id, written to the <c>oid</c> and <c>sub</c> claims and quoted in
    /// permission errors. The default value is a new random GUID.
    /// </summary>
    public string ObjectId { get; set; } = Guid.NewGuid().ToString();

    /// <summary>
    /// Whether the principal holds the <c>Cognitive Services OpenAI User</c> role on every emulated
    /// resource; without it the data plane answers 401 <c>PermissionDenied</c>, as Azure does.
    /// The default value is <see langword="true"/>.
    /// </summary>
    public bool HasOpenAIUserRole { get; set; } = true;
}
