using System.ClientModel.Primitives;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Turns Azure's terse 401/403/404 answers into a <see cref="SecureOpenAIException"/> that says what
/// went wrong and how to fix it. It sits outside the retry and token policies, so it sees the final answer.
/// </summary>
internal sealed class RefusalPolicy(string scope, ILogger logger) : PipelinePolicy
{
    /// <summary>An error body longer than this is not parsed; Azure's are a few hundred bytes.</summary>
    internal const int MaxErrorBodyBytes = 64 * 1024;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        if (IsCandidate(message.Response))
        {
            message.Response!.BufferContent(message.CancellationToken);
            Diagnose(message);
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        if (IsCandidate(message.Response))
        {
            await message.Response!.BufferContentAsync(message.CancellationToken).ConfigureAwait(false);
            Diagnose(message);
        }
    }

    private static bool IsCandidate(PipelineResponse? response) => response?.Status is 401 or 403 or 404;

    private void Diagnose(PipelineMessage message)
    {
        var response = message.Response!;
        var (code, azureMessage) = ReadError(response);
        var endpoint = new Uri(message.Request.Uri!.GetLeftPart(UriPartial.Authority));
        var host = endpoint.Host;

        (SecureOpenAIRefusal Reason, string Fix)? diagnosis = response.Status switch
        {
            401 => (SecureOpenAIRefusal.Unauthorized,
                $"The SDK asked the credential for a new token once before giving up. Check that the identity is in the resource's tenant, that the token scope is '{scope}', and that the endpoint is the resource's custom subdomain (https://NAME.openai.azure.com/)."),
            403 when azureMessage.Contains("Virtual Network/Firewall", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.FirewallDenied,
                $"The resource's network rules do not admit this client's address. If the resource has a private endpoint, this client reached it over the public network: from here, {host} must resolve through privatelink.openai.azure.com to the private endpoint's address (link the private DNS zone to the client's VNet, enable VNet integration on App Service, and have custom DNS servers forward to 168.63.129.16). Otherwise add the client's network to the resource's allowed networks."),
            403 when string.Equals(code, "PermissionDenied", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.PermissionDenied,
                "Assign the role 'Cognitive Services OpenAI User' on the resource to the identity named above; a new role assignment can take a few minutes to apply."),
            403 when string.Equals(code, "AuthenticationTypeDisabled", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.KeyAuthDisabled,
                "Key authentication is disabled on the resource. Remove SecureOpenAI:ApiKey and authenticate with Entra ID."),
            404 when string.Equals(code, "DeploymentNotFound", StringComparison.OrdinalIgnoreCase) => (SecureOpenAIRefusal.DeploymentNotFound,
                "Check the deployment names under SecureOpenAI:Deployments against the deployments of this resource."),
            _ => null,
        };

        if (diagnosis is not { } found)
        {
            return;
        }

        var text = $"{endpoint} refused the request with {response.Status} ({found.Reason}): {azureMessage} {found.Fix}";
        Log.RequestRefused(logger, endpoint.ToString(), response.Status, found.Reason.ToString());
        throw new SecureOpenAIException(text, endpoint, found.Reason, code, response);
    }

    private static (string? Code, string Message) ReadError(PipelineResponse response)
    {
        var content = response.Content;
        if (content.ToMemory().Length is 0 or > MaxErrorBodyBytes)
        {
            return (null, $"(status {response.Status}, no error body)");
        }

        try
        {
            using var document = JsonDocument.Parse(content.ToMemory());
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) ? c.ToString() : null;
                var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                return (code, message);
            }
        }
        catch (JsonException)
        {
            // Not Azure's JSON shape: the status alone is diagnosed.
        }

        return (null, $"(status {response.Status})");
    }
}
