namespace SecureAoai.Emulator.Internal.Identity;

/// <summary>The principals the token service issues for, looked up the ways the token endpoints name them.</summary>
internal sealed class IdentityDirectory(IReadOnlyList<EmulatorIdentity> identities)
{
    /// <summary>The identity a managed-identity request without an id gets: the first one, playing the system-assigned identity.</summary>
    public EmulatorIdentity SystemAssigned => identities[0];

    public EmulatorIdentity? FindByClientId(string clientId) =>
        identities.FirstOrDefault(i => string.Equals(i.ClientId, clientId, StringComparison.OrdinalIgnoreCase));

    public EmulatorIdentity? FindByObjectId(string objectId) =>
        identities.FirstOrDefault(i => string.Equals(i.ObjectId, objectId, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The principal behind a federation's app: the identity with its client id, or else an app
    /// with the OpenAI user role and an object id derived from the client id (stable across runs).
    /// </summary>
    public EmulatorIdentity ForApplication(string clientId) =>
        FindByClientId(clientId) ?? new EmulatorIdentity
        {
            ClientId = clientId,
            ObjectId = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clientId)).AsSpan(0, 16)).ToString(),
            HasOpenAIUserRole = true,
        };
}
