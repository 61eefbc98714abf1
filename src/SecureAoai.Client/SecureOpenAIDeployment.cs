using System.ComponentModel.DataAnnotations;

namespace SecureAoai.Client;

/// <summary>A model deployment on the Azure OpenAI resource.</summary>
public sealed class SecureOpenAIDeployment
{
    /// <summary>The deployment name as created in Azure (for example <c>gpt-4o-mini</c>). Required.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>What the deployment serves. The default value is <see cref="SecureOpenAIDeploymentKind.Chat"/>.</summary>
    public SecureOpenAIDeploymentKind Kind { get; set; } = SecureOpenAIDeploymentKind.Chat;
}
