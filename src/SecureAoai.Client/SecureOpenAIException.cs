using System.ClientModel;
using System.ClientModel.Primitives;

namespace SecureAoai.Client;

/// <summary>
/// Azure OpenAI, or a gateway in front of it, refused a request for a reason the caller can fix; the
/// message names the endpoint, the status, the cause and the fix, with the setting to change. It is a <see cref="ClientResultException"/>, so code that
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

    /// <summary>
    /// The endpoint that refused: the one failover chose for the last attempt (which need not be the
    /// first), as its base address, with a gateway's path prefix and no query.
    /// </summary>
    public Uri Endpoint { get; }

    /// <summary>What the refusal means.</summary>
    public SecureOpenAIRefusal Reason { get; }

    /// <summary>The <c>error.code</c> of Azure's answer, when it had one.</summary>
    public string? ErrorCode { get; }
}
