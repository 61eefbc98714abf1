namespace SecureAoai.Emulator;

/// <summary>One model deployment of an emulated resource: what it does and which model answers.</summary>
/// <example>
/// <code>
/// var eastus = new EmulatorInstanceOptions();
/// eastus.Deployments["chat-prod"] = new EmulatorDeployment { Model = "gpt-4o-2024-08-06" };
/// eastus.Deployments["embed"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Embedding, Model = "text-embedding-3-large" };
/// eastus.Deployments["chat-prod"].OutputFilterTriggers.Add("forbidden");
/// </code>
/// </example>
public sealed class EmulatorDeployment
{
    /// <summary>The model an answer names when <see cref="Model"/> is not set, for a chat deployment.</summary>
    public const string DefaultChatModel = "gpt-4o-mini-2024-07-18";

    /// <summary>The model an answer names when <see cref="Model"/> is not set, for an embedding deployment.</summary>
    public const string DefaultEmbeddingModel = "text-embedding-3-small";

    /// <summary>
    /// Text that makes the output content filter stop an answer, in <see cref="OutputFilterTriggers"/>
    /// by default. A prompt that contains it gets an answer that contains it (the emulator echoes).
    /// </summary>
    public const string DefaultOutputFilterTrigger = "[[filter_output]]";

    /// <summary>What the deployment answers. The default value is <see cref="EmulatorDeploymentKind.Chat"/>.</summary>
    public EmulatorDeploymentKind Kind { get; set; } = EmulatorDeploymentKind.Chat;

    /// <summary>
    /// The model version answers name in <c>model</c>, as Azure names the model behind a deployment
    /// rather than the deployment (<c>gpt-4o-2024-08-06</c> for a deployment called
    /// <c>gpt-4o-0806</c>); also what the models list lists. The default value is
    /// <see langword="null"/>: <see cref="DefaultChatModel"/> or <see cref="DefaultEmbeddingModel"/> by kind.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>
    /// Texts that, when an answer would contain one (ordinal comparison), make the output content
    /// filter stop the answer there: a buffered answer comes back with no content and
    /// <c>finish_reason</c> <c>content_filter</c>; a stream ends with that finish reason after the
    /// words before the trigger. The default value holds <see cref="DefaultOutputFilterTrigger"/>.
    /// </summary>
    public List<string> OutputFilterTriggers { get; } = [DefaultOutputFilterTrigger];

    /// <summary>The model answers name: <see cref="Model"/>, or the default for <see cref="Kind"/>.</summary>
    public string ModelName => Model ?? (Kind == EmulatorDeploymentKind.Chat ? DefaultChatModel : DefaultEmbeddingModel);
}
