using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>
/// The data-plane steps for one endpoint: the models list (a read that changes nothing and costs
/// nothing) and, per deployment, a request with an empty body, which the resource refuses after
/// looking the deployment up, so nothing is generated. Each answer is read by its status and code.
/// Requests go below the endpoint's base URI (a gateway's path prefix included) with the credential
/// the SDK would send that endpoint: a token for its scope, or its key in its header. Connections go
/// to the address the TLS step reached, never to a new lookup.
/// </summary>
internal sealed class DataPlaneProbe : IDisposable
{
    /// <summary>The most of a models list that is read; Azure's lists every model the resource may deploy.</summary>
    internal const int MaxModelsListBytes = 4 * 1024 * 1024;

    /// <summary>How many model ids a step names before it only counts them.</summary>
    private const int ModelsNamed = 5;

    private readonly DiagnosticTarget _target;
    private readonly SecureOpenAIOptions _options;
    private readonly CredentialProbe? _token;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;

    /// <param name="target">The endpoint.</param>
    /// <param name="options">The options, for the URL style and the network timeout.</param>
    /// <param name="trust">The certificate trust, as the SDK's.</param>
    /// <param name="token">The probe of the endpoint's token scope; <see langword="null"/> when it is sent a key.</param>
    /// <param name="time">The clock a token's expiry is judged by.</param>
    public DataPlaneProbe(DiagnosticTarget target, SecureOpenAIOptions options, EndpointTrust trust, CredentialProbe? token, TimeProvider time)
    {
        _target = target;
        _options = options;
        _token = token;
        _time = time;
        // Every connection goes to the address the TLS step reached: not through a proxy (whose
        // address no step verified), and no redirect is followed (it would still land there).
        var handler = trust.CreateHandler();
        handler.UseProxy = false;
        handler.AllowAutoRedirect = false;
        handler.ConnectCallback = (_, cancellationToken) => target.ReconnectAsync(cancellationToken);
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = options.NetworkTimeout };
    }

    public async Task<StepOutcome> ListModelsAsync(CancellationToken cancellationToken)
    {
        var path = _options.ApiVersion is { Length: > 0 } version ? $"openai/models?api-version={Uri.EscapeDataString(version)}" : "openai/v1/models";
        using var request = Request(HttpMethod.Get, path);
        var (response, body) = await SendAsync(request, MaxModelsListBytes, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var call = $"GET /{path}";
            if (!response.IsSuccessStatusCode)
            {
                return Interpret(call, response, body);
            }

            var region = response.Headers.TryGetValues("x-ms-region", out var regions) ? $", region {regions.First()}" : "";
            if (body is null)
            {
                return StepOutcome.Ok($"{call} answered {(int)response.StatusCode} with a list over {MaxModelsListBytes / (1024 * 1024)} MiB, not read{region}.");
            }

            return ModelIds(body) is { } ids
                ? StepOutcome.Ok($"{call} answered {(int)response.StatusCode}{region}: {ids.Count} model(s){(ids.Count > 0 ? $", such as {string.Join(", ", ids.Take(ModelsNamed))}" : "")}.")
                : StepOutcome.Failed(
                    $"{call} answered {(int)response.StatusCode}, but not with a models list{Support(response)}.",
                    _target.Refused.IsGateway
                        ? $"Something other than Azure OpenAI answers at {_target.Root}: set {_target.UriSetting} to the gateway's address with the path prefix of its Azure OpenAI API (API Management: the API's URL suffix), such as https://NAME.azure-api.net/aoai/."
                        : $"Something other than Azure OpenAI answers at {_target.Root} (a proxy's or gateway's page?). Set {_target.UriSetting} to the resource's own endpoint, https://NAME.openai.azure.com/.",
                    _target.UriSetting);
        }
    }

    public async Task<StepOutcome> FindDeploymentAsync(DiagnosticDeployment deployment, CancellationToken cancellationToken)
    {
        var operation = deployment.Kind == SecureOpenAIDeploymentKind.Embedding ? "embeddings" : "chat/completions";
        string path, body;
        if (_options.ApiVersion is { Length: > 0 } version)
        {
            path = $"openai/deployments/{Uri.EscapeDataString(deployment.Name)}/{operation}?api-version={Uri.EscapeDataString(version)}";
            body = "{}";
        }
        else
        {
            path = $"openai/v1/{operation}";
            body = JsonSerializer.Serialize(new Dictionary<string, string> { ["model"] = deployment.Name });
        }

        using var request = Request(HttpMethod.Post, path);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var (response, answer) = await SendAsync(request, AzureErrorBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var call = $"POST /{path} with an empty request";
            return (int)response.StatusCode switch
            {
                400 => StepOutcome.Ok($"{call} answered 400: the resource found deployment '{deployment.Name}' and refused the empty request, as intended; nothing was generated."),
                >= 200 and < 300 => StepOutcome.Ok($"{call} answered {(int)response.StatusCode}: deployment '{deployment.Name}' exists."),
                _ => Interpret(call, response, answer),
            };
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A refusal the SDK knows gets its fix (the same words the SDK's errors use); anything else, what it likely means.</summary>
    private StepOutcome Interpret(string call, HttpResponseMessage response, byte[]? body)
    {
        var status = (int)response.StatusCode;
        var error = body is null ? AzureErrorBody.Unreadable : AzureErrorBody.Parse(body);
        var said = $"{call} answered {status}";
        var message = $"{error.Message ?? "(no error body that could be read)"}{Support(response)}";
        if (RefusalDiagnosis.Diagnose(status, error, _target.Refused, _token?.Claims, _time.GetUtcNow()) is { } refusal)
        {
            return new StepOutcome(SecureOpenAIDiagnosticStatus.Failed, $"{said} ({refusal.Reason}): {message}", refusal.Fix, refusal.Settings);
        }

        var retryAfter = response.Headers.RetryAfter?.Delta is { } delay ? $" Azure asked to retry after {delay.TotalSeconds:0} s." : "";
        var (fix, settings) = status switch
        {
            429 => ($"The resource is throttling these calls.{retryAfter} Run doctor again later; if it persists, the quota is used up by other callers: raise the deployment's tokens or requests per minute, or spread the load over more endpoints.", Array.Empty<string>()),
            >= 500 => ("An error on Azure's side or on a proxy's between: run doctor again later. If it persists, give Azure support the apim-request-id.", []),
            _ when _options.ApiVersion is { Length: > 0 } version => (
                $"The resource did not take a request every Azure OpenAI resource serves: check that {_target.UriSetting} is the resource's root (https://NAME.openai.azure.com/) or the gateway's with its path prefix, and that {SettingNames.ApiVersion} '{version}' is a version Azure OpenAI serves, or remove it to use the v1 API.",
                [_target.UriSetting, SettingNames.ApiVersion]),
            _ => ($"The resource did not take a request every Azure OpenAI resource serves: check that {_target.UriSetting} is the resource's root, https://NAME.openai.azure.com/, or the gateway's with its path prefix.", [_target.UriSetting]),
        };
        return StepOutcome.Failed($"{said}: {message}", fix, settings);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(_target.Root, path));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Token);
        }
        else
        {
            // The key in the header the SDK sends it in: api-key, or the gateway's subscription key header.
            request.Headers.TryAddWithoutValidation(_target.Credential.Header!, _target.Credential.Value);
        }

        // An id of our own, echoed by Azure: one to quote to support, with apim-request-id.
        request.Headers.Add("x-ms-client-request-id", Guid.NewGuid().ToString());
        return request;
    }

    /// <summary>Sends the request and reads at most <paramref name="maxBytes"/> of the body; a longer body is <see langword="null"/>.</summary>
    private async Task<(HttpResponseMessage Response, byte[]? Body)> SendAsync(HttpRequestMessage request, int maxBytes, CancellationToken cancellationToken)
    {
        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[16 * 1024];
                int read;
                while (buffer.Length <= maxBytes && (read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    buffer.Write(chunk, 0, read);
                }

                return (response, buffer.Length > maxBytes ? null : buffer.ToArray());
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static string Support(HttpResponseMessage response) =>
        response.Headers.TryGetValues("apim-request-id", out var ids) ? $" (apim-request-id {ids.First()})" : "";

    /// <summary>The ids of a models list, or <see langword="null"/> when the body is not one.</summary>
    private static List<string>? ModelIds(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return [.. data.EnumerateArray()
                .Where(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                .Select(m => m.GetProperty("id").GetString()!)];
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
