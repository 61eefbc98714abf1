using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// Sends each request to the best endpoint free now and moves it to the next on a throttle, a
/// server error, a connection failure or an attempt timeout, cooling the failed endpoint for as
/// long as it asked (capped). Waits only when every endpoint is cooling and the wait fits the
/// budget. Returns once response headers arrive, so a started stream is never sent again.
/// </summary>
internal sealed class FailoverHandler : DelegatingHandler
{
    /// <summary>The largest request body buffered for retries; a larger one is refused before sending.</summary>
    internal const int MaxRequestBodyBytes = 64 * 1024 * 1024;

    private const string DeploymentsSegment = "/openai/deployments/";

    private readonly EndpointSelector _selector;
    private readonly SecureOpenAIFailoverOptions _options;
    private readonly int _maxAttempts;
    private readonly TimeSpan _maxRetryAfter;
    private readonly SecureOpenAIRateLimits _rateLimits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FailoverHandler(
        EndpointSelector selector,
        SecureOpenAIFailoverOptions options,
        int maxRetries,
        TimeSpan maxRetryAfter,
        SecureOpenAIRateLimits rateLimits,
        ILogger logger,
        HttpMessageHandler inner,
        TimeProvider? time = null)
        : base(inner)
    {
        _selector = selector;
        _options = options;
        _maxAttempts = maxRetries + 1;
        _maxRetryAfter = maxRetryAfter;
        _rateLimits = rateLimits;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Statuses that say the endpoint, not the request, is the problem: they fail over.</summary>
    public static bool IsEndpointFailure(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var template = await RequestTemplate.CreateAsync(request, cancellationToken).ConfigureAwait(false);
        using var budget = new CancellationTokenSource(_options.TotalTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var attempts = new List<FailoverAttempt>();
        var networkRefusals = new List<EndpointNetworkException>();
        var excluded = new HashSet<FailoverEndpoint>();
        FailoverEndpoint? previous = null;
        var sentCount = 0;
        Exception? lastError = null;
        var deadline = _time.GetUtcNow() + _options.TotalTimeout;

        try
        {
            // Bounded: at most _maxAttempts sends, and as many waits.
            for (var waits = 0; sentCount < _maxAttempts && waits <= _maxAttempts;)
            {
                var now = _time.GetUtcNow();
                var endpoint = _selector.Choose(now, excluded);
                if (endpoint is null)
                {
                    var freeAt = _selector.EarliestWaitable(now, excluded);
                    if (freeAt is not { } at || at > deadline)
                    {
                        break;
                    }

                    // Timers round to milliseconds and may fire a hair early: wait a whole millisecond
                    // past the cooldown so the endpoint is free when the loop looks again.
                    waits++;
                    var delay = TimeSpan.FromMilliseconds(Math.Ceiling((at - now).TotalMilliseconds) + 1);
                    await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
                    continue;
                }

                if (previous is not null && previous != endpoint)
                {
                    FailoverMetrics.Failovers.Add(1, new TagList { { "from", previous.Name }, { "to", endpoint.Name } });
                }

                previous = endpoint;
                sentCount++;
                var (response, attempt, error) = await AttemptAsync(endpoint, template, linked.Token).ConfigureAwait(false);
                if (response is not null)
                {
                    FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "success" } });
                    return response;
                }

                attempts.Add(attempt!);
                lastError = error ?? lastError;
                if (error is EndpointNetworkException refusal)
                {
                    networkRefusals.Add(refusal);
                }

                if (attempt!.Cooldown is null)
                {
                    excluded.Add(endpoint);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "cancelled" } });
            throw;
        }
        catch (OperationCanceledException ex) when (budget.IsCancellationRequested)
        {
            FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "failed" } });
            throw new SecureOpenAIFailoverException(
                $"SecureOpenAI gave up on {template.Method} {template.PathForMessages}: the total timeout of {_options.TotalTimeout.TotalSeconds:0.#} s (SecureOpenAI:Failover:TotalTimeout) ran out.",
                attempts, ex);
        }

        FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "failed" } });
        if (networkRefusals.Count > 0 && attempts.Count == networkRefusals.Count)
        {
            // Every endpoint failed its network check: that refusal, with its chain and cause, is
            // the answer, not a generic failover error.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(networkRefusals[^1]);
        }

        // Endpoints that were never tried this time are listed too, with why they were skipped.
        var givenUpAt = _time.GetUtcNow();
        foreach (var skipped in _selector.Endpoints.Where(e => attempts.TrueForAll(a => a.Endpoint != e.Name)))
        {
            attempts.Add(new FailoverAttempt(skipped.Name, null, skipped.SkipReason(givenUpAt), null));
        }

        var reason = sentCount >= _maxAttempts
            ? $"{sentCount} attempt(s) failed (SecureOpenAI:MaxRetries is {_maxAttempts - 1})"
            : "no endpoint can take the request within the budget: every one is failing, cooling for longer than SecureOpenAI:MaxRetryAfter, or past the total timeout";
        throw new SecureOpenAIFailoverException($"SecureOpenAI gave up on {template.Method} {template.PathForMessages}: {reason}.", attempts, lastError);
    }

    private async Task<(HttpResponseMessage? Response, FailoverAttempt? Failure, Exception? Error)> AttemptAsync(
        FailoverEndpoint endpoint, RequestTemplate template, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.Source.StartActivity("SecureAoai.Attempt");
        activity?.SetTag("secureaoai.endpoint", endpoint.Name);
        using var message = template.For(endpoint);
        HttpResponseMessage response;
        try
        {
            response = await endpoint.Pipeline.ExecuteAsync(
                async token => await base.SendAsync(message, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutRejectedException or BrokenCircuitException or EndpointNetworkException)
        {
            var (outcome, reason) = ex switch
            {
                TimeoutRejectedException => ("timeout", $"no response headers within {_options.AttemptTimeout.TotalSeconds:0.#} s"),
                BrokenCircuitException => ("circuit_open", "circuit open after repeated failures"),
                EndpointNetworkException network => ("network_policy", network.Message.Split(Environment.NewLine)[0]),
                _ => ("connect_error", ex.InnerException?.Message ?? ex.Message),
            };
            Record(endpoint, outcome, activity);

            // A refused or open endpoint is left out for this request only; a failing one cools down.
            TimeSpan? cooldown = ex is BrokenCircuitException or EndpointNetworkException ? null : endpoint.CoolDown(_time.GetUtcNow(), null, _options.BaseCooldown, _maxRetryAfter);
            if (cooldown is { } c)
            {
                FailoverMetrics.Cooldown.Record(c.TotalSeconds, new TagList { { "endpoint", endpoint.Name } });
            }

            Log.AttemptFailed(_logger, endpoint.Name, outcome, reason);
            return (null, new FailoverAttempt(endpoint.Name, null, reason, cooldown), ex);
        }

        var status = (int)response.StatusCode;
        Record(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture), activity);
        ObserveRateLimits(endpoint, response);
        var failsOver = IsEndpointFailure(status) || (status == 404 && _options.FailoverOnNotFound);
        if (!failsOver)
        {
            endpoint.Succeeded();
            await UsageMeter.AttachAsync(response, endpoint.Name, () => template.DeploymentFor(endpoint), cancellationToken).ConfigureAwait(false);
            return (response, null, null);
        }

        using (response)
        {
            if (status == 404)
            {
                Log.AttemptFailed(_logger, endpoint.Name, "404", "deployment not found here");
                return (null, new FailoverAttempt(endpoint.Name, status, "not found at this endpoint", null), null);
            }

            var requested = RetryHeaders.RequestedWait(response, _time.GetUtcNow());
            var cooldown = endpoint.CoolDown(_time.GetUtcNow(), requested, _options.BaseCooldown, _maxRetryAfter);
            FailoverMetrics.Cooldown.Record(cooldown.TotalSeconds, new TagList { { "endpoint", endpoint.Name } });
            if (status == 429)
            {
                FailoverMetrics.Throttles.Add(1, new TagList { { "endpoint", endpoint.Name } });
            }

            var reason = requested is { } asked
                ? $"{response.ReasonPhrase}; asked to wait {asked.TotalSeconds:0.###} s{(asked > _maxRetryAfter ? $", capped at {_maxRetryAfter.TotalSeconds:0.#} s" : "")}"
                : response.ReasonPhrase ?? "failed";
            Log.AttemptFailed(_logger, endpoint.Name, status.ToString(System.Globalization.CultureInfo.InvariantCulture), reason);
            return (null, new FailoverAttempt(endpoint.Name, status, reason, cooldown), null);
        }
    }

    private static void Record(FailoverEndpoint endpoint, string outcome, Activity? activity)
    {
        FailoverMetrics.Attempts.Add(1, new TagList { { "endpoint", endpoint.Name }, { "outcome", outcome } });
        activity?.SetTag("secureaoai.outcome", outcome);
    }

    private void ObserveRateLimits(FailoverEndpoint endpoint, HttpResponseMessage response)
    {
        var requests = RetryHeaders.Number(response.Headers, "x-ratelimit-remaining-requests");
        var tokens = RetryHeaders.Number(response.Headers, "x-ratelimit-remaining-tokens");
        if (requests is not null || tokens is not null)
        {
            _rateLimits.Record(new RateLimitSnapshot(endpoint.Name, requests, tokens, _time.GetUtcNow()));
        }
    }

    /// <summary>The request as the client made it, buffered once so every attempt sends the same bytes.</summary>
    private sealed class RequestTemplate
    {
        private readonly HttpRequestMessage _original;
        private readonly byte[]? _body;
        private readonly string? _pathDeployment;
        private readonly bool _bodyIsJson;
        private string? _bodyDeployment;
        private bool _bodyRead;

        private RequestTemplate(HttpRequestMessage original, byte[]? body)
        {
            _original = original;
            _body = body;
            var path = original.RequestUri!.AbsolutePath;
            if (path.StartsWith(DeploymentsSegment, StringComparison.OrdinalIgnoreCase))
            {
                var rest = path[DeploymentsSegment.Length..];
                var end = rest.IndexOf('/', StringComparison.Ordinal);
                _pathDeployment = Uri.UnescapeDataString(end < 0 ? rest : rest[..end]);
            }
            else
            {
                _bodyIsJson = body is not null && IsJson(original.Content?.Headers.ContentType);
            }
        }

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

        public HttpMethod Method => _original.Method;

        public string PathForMessages => _original.RequestUri!.AbsolutePath;

        public static async Task<RequestTemplate> CreateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is null)
            {
                throw new InvalidOperationException("The request has no URI.");
            }

            byte[]? body = null;
            if (request.Content is { } content)
            {
                if (content.Headers.ContentLength > MaxRequestBodyBytes)
                {
                    throw new InvalidOperationException($"The request body is {content.Headers.ContentLength} bytes; SecureOpenAI buffers at most {MaxRequestBodyBytes} bytes so a retry sends the same bytes.");
                }

                body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                if (body.Length > MaxRequestBodyBytes)
                {
                    throw new InvalidOperationException($"The request body is {body.Length} bytes; SecureOpenAI buffers at most {MaxRequestBodyBytes} bytes so a retry sends the same bytes.");
                }
            }

            return new RequestTemplate(request, body);
        }

        /// <summary>The deployment's name at <paramref name="endpoint"/>, for metrics; "none" for calls without one.</summary>
        public string DeploymentFor(FailoverEndpoint endpoint) =>
            (_pathDeployment ?? BodyDeployment) is { } name ? endpoint.DeploymentFor(name) : "none";

        /// <summary>A new message for one attempt at <paramref name="endpoint"/>: its host, its deployment name.</summary>
        public HttpRequestMessage For(FailoverEndpoint endpoint)
        {
            var uri = _original.RequestUri!;
            var path = uri.AbsolutePath;
            if (_pathDeployment is { } fromPath && endpoint.DeploymentFor(fromPath) is var mapped && mapped != fromPath)
            {
                var rest = path[DeploymentsSegment.Length..];
                var end = rest.IndexOf('/', StringComparison.Ordinal);
                path = DeploymentsSegment + Uri.EscapeDataString(mapped) + (end < 0 ? "" : rest[end..]);
            }

            var message = new HttpRequestMessage(_original.Method, new Uri(endpoint.Root, path.TrimStart('/') + uri.Query))
            {
                Version = _original.Version,
                VersionPolicy = _original.VersionPolicy,
            };
            foreach (var header in _original.Headers)
            {
                message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            if (endpoint.ApiKey is { } key)
            {
                message.Headers.Remove("api-key");
                message.Headers.TryAddWithoutValidation("api-key", key);
            }

            if (_body is not null)
            {
                var body = endpoint.DeploymentNames.Count > 0 && BodyDeployment is { } fromBody && endpoint.DeploymentFor(fromBody) is var model && model != fromBody
                    ? WithModel(_body, model)
                    : _body;
                message.Content = new ByteArrayContent(body);
                foreach (var header in _original.Content!.Headers)
                {
                    if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        message.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                }
            }

            return message;
        }

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
}
