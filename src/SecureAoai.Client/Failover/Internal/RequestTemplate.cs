using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// The request as the client made it, buffered once so every attempt sends the same bytes, and
/// rewritten per endpoint: its base URI (host, port and any path prefix) and its deployment name.
/// Credentials are not copied: whatever a client above put in <c>Authorization</c>, <c>api-key</c> or a
/// subscription key header stays here; each attempt gets its own endpoint's (EndpointAuthenticationHandler).
/// </summary>
/// <remarks>
/// Microsoft.Extensions.Http.Resilience's routing replaces only scheme, host and port
/// (dotnet/extensions#6298): a gateway's path prefix and a region's own deployment name need this rewrite.
/// </remarks>
internal sealed class RequestTemplate
{
    /// <summary>The largest request body buffered for retries; a larger one is refused before sending.</summary>
    internal const int MaxRequestBodyBytes = 64 * 1024 * 1024;

    private const string DeploymentsSegment = "openai/deployments/";

    private readonly HttpRequestMessage _original;
    private readonly FailoverEndpoint _addressed;
    private readonly IReadOnlySet<string> _credentialHeaders;
    private readonly byte[]? _body;
    private readonly string _relativePath;
    private readonly string? _pathDeployment;
    private readonly bool _bodyIsJson;
    private string? _bodyDeployment;
    private bool _bodyRead;

    private RequestTemplate(HttpRequestMessage original, FailoverEndpoint addressed, IReadOnlySet<string> credentialHeaders, byte[]? body)
    {
        _original = original;
        _addressed = addressed;
        _credentialHeaders = credentialHeaders;
        _body = body;

        // The path below the endpoint the client addressed: "openai/v1/chat/completions".
        var path = original.RequestUri!.AbsolutePath;
        var basePath = addressed.BaseUri.AbsolutePath;
        _relativePath = path.StartsWith(basePath, StringComparison.OrdinalIgnoreCase) ? path[basePath.Length..] : path.TrimStart('/');
        if (_relativePath.StartsWith(DeploymentsSegment, StringComparison.OrdinalIgnoreCase))
        {
            var rest = _relativePath[DeploymentsSegment.Length..];
            var end = rest.IndexOf('/', StringComparison.Ordinal);
            _pathDeployment = Uri.UnescapeDataString(end < 0 ? rest : rest[..end]);
        }
        else
        {
            _bodyIsJson = body is not null && IsJson(original.Content?.Headers.ContentType);
        }
    }

    public HttpMethod Method => _original.Method;

    public string PathForMessages => _original.RequestUri!.AbsolutePath;

    /// <summary>
    /// The body's <c>model</c>, read the first time it is needed (a per-endpoint deployment name,
    /// or token metrics): most requests need neither, and are not parsed at all.
    /// </summary>
    private string? BodyDeployment
    {
        get
        {
            if (!_bodyRead)
            {
                _bodyDeployment = _bodyIsJson ? ReadModel(_body!) : null;
                _bodyRead = true;
            }

            return _bodyDeployment;
        }
    }

    /// <summary>
    /// Buffers <paramref name="request"/>, addressed to <paramref name="addressed"/>, up to
    /// <see cref="MaxRequestBodyBytes"/>; <paramref name="credentialHeaders"/> are left out of every attempt.
    /// </summary>
    public static async Task<RequestTemplate> CreateAsync(HttpRequestMessage request, FailoverEndpoint addressed, IReadOnlySet<string> credentialHeaders, CancellationToken cancellationToken)
    {
        byte[]? body = null;
        if (request.Content is { } content)
        {
            if (content.Headers.ContentLength > MaxRequestBodyBytes)
            {
                throw TooLarge(content.Headers.ContentLength.Value);
            }

            body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxRequestBodyBytes)
            {
                throw TooLarge(body.Length);
            }
        }

        return new RequestTemplate(request, addressed, credentialHeaders, body);
    }

    /// <summary>The deployment's name at <paramref name="endpoint"/>, for metrics; "none" for calls without one.</summary>
    public string DeploymentFor(FailoverEndpoint endpoint) =>
        (_pathDeployment ?? BodyDeployment) is { } name ? endpoint.DeploymentFor(name) : "none";

    /// <summary>A new message for one attempt at <paramref name="endpoint"/>: its base URI and its deployment name, without credentials.</summary>
    public HttpRequestMessage For(FailoverEndpoint endpoint)
    {
        var path = _relativePath;
        if (_pathDeployment is { } fromPath && endpoint.DeploymentFor(fromPath) is var mapped && mapped != fromPath)
        {
            var rest = path[DeploymentsSegment.Length..];
            var end = rest.IndexOf('/', StringComparison.Ordinal);
            path = DeploymentsSegment + Uri.EscapeDataString(mapped) + (end < 0 ? "" : rest[end..]);
        }

        // The endpoint the client addressed, nothing rewritten: the client's own URI, not parsed again.
        var uri = endpoint == _addressed && ReferenceEquals(path, _relativePath)
            ? _original.RequestUri!
            : new Uri(endpoint.BaseUri, path + _original.RequestUri!.Query);
        var message = new HttpRequestMessage(_original.Method, uri)
        {
            Version = _original.Version,
            VersionPolicy = _original.VersionPolicy,
        };

        // Copied as the client wrote them, unparsed: the same bytes go out, and no header is parsed
        // (a User-Agent or a bearer token) only to be written back.
        foreach (var (name, values) in _original.Headers.NonValidated)
        {
            if (!_credentialHeaders.Contains(name))
            {
                AddUnvalidated(message.Headers, name, values);
            }
        }

        if (_body is not null)
        {
            var body = endpoint.DeploymentNames.Count > 0 && BodyDeployment is { } fromBody && endpoint.DeploymentFor(fromBody) is var model && model != fromBody
                ? WithModel(_body, model)
                : _body;
            message.Content = new ByteArrayContent(body);
            foreach (var (name, values) in _original.Content!.Headers.NonValidated)
            {
                if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    AddUnvalidated(message.Content.Headers, name, values);
                }
            }
        }

        return message;
    }

    private static void AddUnvalidated(HttpHeaders headers, string name, HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            // One value (nearly every header): its string as it is, no enumerator.
            headers.TryAddWithoutValidation(name, values.ToString());
        }
        else
        {
            headers.TryAddWithoutValidation(name, values);
        }
    }

    private static InvalidOperationException TooLarge(long length) =>
        new($"The request body is {length} bytes; SecureOpenAI buffers at most {MaxRequestBodyBytes} bytes so a retry sends the same bytes.");

    private static bool IsJson(MediaTypeHeaderValue? type) =>
        type?.MediaType is { } media && media.EndsWith("json", StringComparison.OrdinalIgnoreCase);

    private static string? ReadModel(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not our JSON to judge: the resource will answer it.
        }

        return null;
    }

    private static byte[] WithModel(byte[] body, string model)
    {
        var node = JsonNode.Parse(body)!.AsObject();
        node["model"] = model;
        return JsonSerializer.SerializeToUtf8Bytes(node);
    }
}
