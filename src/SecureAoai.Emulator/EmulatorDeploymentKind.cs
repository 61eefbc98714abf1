namespace SecureAoai.Emulator;

/// <summary>What an emulated model deployment can do.</summary>
public enum EmulatorDeploymentKind
{
    /// <summary>A chat model: answers <c>chat/completions</c>, refuses <c>embeddings</c>.</summary>
    Chat,

    /// <summary>An embedding model: answers <c>embeddings</c>, refuses <c>chat/completions</c>.</summary>
    Embedding,
}
