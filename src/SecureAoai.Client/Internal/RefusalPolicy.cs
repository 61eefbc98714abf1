using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Turns Azure's terse 401/403/404 answers into a <see cref="SecureOpenAIException"/> that says what
/// went wrong and how to fix it. It sits outside the retry and token policies, so it sees the final
/// answer. It reads both of Azure's error shapes (<see cref="AzureErrorBody"/>) and, since Azure
/// gives one answer for every token it refuses, the SDK's own token's claims to say which is wrong.
/// </summary>
internal sealed class RefusalPolicy(string scope, bool usesApiKey, ILogger logger, TimeProvider? time = null) : PipelinePolicy
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
        var endpoint = new Uri(message.Request.Uri!.GetLeftPart(UriPartial.Authority));
        var claims = usesApiKey ? null : AccessTokenClaims.FromRequest(message.Request);
        if (RefusalDiagnosis.Diagnose(response.Status, error, endpoint.Host, claims, usesApiKey, scope, _time.GetUtcNow()) is not { } found)
        {
            return;
        }

        var azureMessage = error.Message ?? $"(status {response.Status}, no error body that could be read)";
        var text = $"{endpoint} refused the request with {response.Status} ({found.Reason}): {azureMessage} {found.Fix}{WhatTheSdkDid(found.Reason)}";
        Log.RequestRefused(logger, endpoint.ToString(), response.Status, found.Reason.ToString());
        throw new SecureOpenAIException(text, endpoint, found.Reason, error.Code, response);
    }

    /// <summary>What the token policy did before this answer reached the caller.</summary>
    private string WhatTheSdkDid(SecureOpenAIRefusal reason) => reason switch
    {
        SecureOpenAIRefusal.PermissionDenied => " The SDK sent the request once and did not refresh the token: a new token would carry no new role.",
        SecureOpenAIRefusal.Unauthorized when !usesApiKey => " The SDK asked the credential for a new token once before giving up.",
        _ => "",
    };
}
