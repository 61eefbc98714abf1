using System.ClientModel;
using System.ClientModel.Primitives;

namespace SecureAoai.Client;

/// <summary>
/// Azure OpenAI refused a request for a reason the caller can fix; the message names the endpoint,
/// the status, the cause and the fix. It is a <see cref="ClientResultException"/>, so code that
/// already catches the OpenAI client's exceptions keeps working.
/// </summary>
public sealed class SecureOpenAIException : ClientResultException
{
    /// <summary>Creates the exception for a refused response.</summary>
    public SecureOpenAIException(string message, Uri endpoint, SecureOpenAIRefusal reason, string? errorCode, PipelineResponse response)
        : base(message, response)
    {
        Endpoint = endpoint;
        Reason = reason;
        ErrorCode = errorCode;
    }

    /// <summary>The endpoint that refused, without path or query.</summary>
    public Uri Endpoint { get; }

    /// <summary>What the refusal means.</summary>
    public SecureOpenAIRefusal Reason { get; }

    /// <summary>The <c>error.code</c> of Azure's answer, when it had one.</summary>
    public string? ErrorCode { get; }
}
