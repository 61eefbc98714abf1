using Azure.Core;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>A credential of the chain with the name it is reported under.</summary>
internal sealed record NamedCredential(string Name, TokenCredential Credential);
