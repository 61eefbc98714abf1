using System.ClientModel.Primitives;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The secured <see cref="HttpClient"/> as a System.ClientModel transport, that links each pipeline
/// message to the HTTP request it becomes through a <see cref="RequestOutcome"/>, so the refusal
/// policy above can learn which endpoint answered.
/// </summary>
internal sealed class SecureOpenAIPipelineTransport(HttpClient client) : HttpClientPipelineTransport(client)
{
    protected override void OnSendingRequest(PipelineMessage message, HttpRequestMessage httpRequest)
    {
        var outcome = new RequestOutcome();
        message.SetProperty(typeof(RequestOutcome), outcome);
        httpRequest.Options.Set(RequestOutcome.Key, outcome);
    }
}
