using System.ClientModel.Primitives;
using Azure.AI.OpenAI;

namespace SecureAoai.Client.AzureOpenAI.Internal;

/// <summary>
/// An <see cref="AzureOpenAIClient"/> on a pipeline made by <see cref="SecureOpenAIPipeline"/>: the
/// base class's constructor for a caller-built pipeline is protected, so this type only opens it.
/// Every behaviour is <see cref="AzureOpenAIClient"/>'s own.
/// </summary>
internal sealed class SecuredAzureOpenAIClient(ClientPipeline pipeline, Uri endpoint, AzureOpenAIClientOptions options)
    : AzureOpenAIClient(pipeline, endpoint, options)
{
    public static SecuredAzureOpenAIClient Create(SecureOpenAIPipeline secured, AzureOpenAIClientOptions options) =>
        new(secured.Create(options), secured.Endpoint, options);
}
