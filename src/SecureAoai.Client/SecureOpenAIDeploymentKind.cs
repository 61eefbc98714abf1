namespace SecureAoai.Client;

/// <summary>The kind of model behind a deployment, which decides the client registered for it.</summary>
public enum SecureOpenAIDeploymentKind
{
    /// <summary>Chat completions: a <c>ChatClient</c> is registered.</summary>
    Chat,

    /// <summary>Embeddings: an <c>EmbeddingClient</c> is registered.</summary>
    Embedding,
}
