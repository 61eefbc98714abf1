using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Turns the terse 401/403/404 answers of Azure OpenAI and of gateways in front of it into a
/// <see cref="SecureOpenAIException"/> that says what went wrong and how to fix it. It sits outside
/// the retry and token handling, so it sees the final answer, and it speaks of the endpoint that gave
/// it (which failover chose, not the one the client addressed) and of the credential that endpoint
/// was sent (<see cref="RequestOutcome"/>): its scope or key setting, and, since Azure gives one
/// answer for every token it refuses, the token's own claims to say which is wrong. The meaning and
/// fix of each refusal are <see cref="RefusalDiagnosis"/>'s, shared with doctor; this policy adds
/// only what the SDK itself did.
/// </summary>
internal sealed class RefusalPolicy(ILogger logger, TimeProvider? time = null) : PipelinePolicy
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        if (IsCandidate(message.Response))
        {
            Diagnose(message, AzureErrorBody.ReadAsync(message.Response!, async: false, message.CancellationToken).AsTask().GetAwaiter().GetResult());
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        if (IsCandidate(message.Response))
        {
            Diagnose(message, await AzureErrorBody.ReadAsync(message.Response!, async: true, message.CancellationToken).ConfigureAwait(false));
        }
    }

    private static bool IsCandidate(PipelineResponse? response) => response?.Status is 401 or 403 or 404;

    private void Diagnose(PipelineMessage message, AzureErrorBody error)
    {
        var response = message.Response!;
        var outcome = RequestOutcome.Of(message);
        var endpoint = outcome?.Endpoint;
        var address = endpoint?.BaseUri ?? new Uri(message.Request.Uri!.GetLeftPart(UriPartial.Authority) + "/");
        var refused = endpoint is null ? RefusedEndpoint.Unknown(address.IdnHost) : RefusedEndpoint.Of(endpoint);
        if (RefusalDiagnosis.Diagnose(response.Status, error, refused, outcome?.Token?.Claims, _time.GetUtcNow()) is not { } found)
        {
            return;
        }

        var who = endpoint?.Description ?? address.ToString();
        var azureMessage = error.Message ?? $"(status {response.Status}, no error body that could be read)";
        var text = $"{who} refused the request with {response.Status} ({found.Reason}): {azureMessage} {found.Fix}{WhatTheSdkDid(found.Reason, refused)}";
        Log.RequestRefused(logger, who, response.Status, found.Reason.ToString());
        throw new SecureOpenAIException(text, address, found.Reason, error.Code, response);
    }

    /// <summary>What the per-attempt authentication did before this answer reached the caller.</summary>
    private static string WhatTheSdkDid(SecureOpenAIRefusal reason, RefusedEndpoint endpoint) => reason switch
    {
        SecureOpenAIRefusal.PermissionDenied => " The SDK sent the request once and did not refresh the token: a new token would carry no new role.",
        SecureOpenAIRefusal.Unauthorized when endpoint.Credential == EndpointCredentialKind.EntraToken => " The SDK asked the credential for a new token once before giving up.",
        _ => "",
    };
}
