using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// One attempt at one endpoint, between the hedging strategy (which chose the endpoint) and the
/// endpoint's breaker and attempt timeout: records the attempt (activity, metrics, the failure list),
/// cools the endpoint by what its answer asked, refuses to pass a redirect on, and watches a
/// successful stream for a break after its headers.
/// </summary>
internal sealed class AttemptHandler(
    EndpointTable table,
    SecureOpenAIFailoverOptions options,
    TimeSpan maxRetryAfter,
    SecureOpenAIRateLimits rateLimits,
    TimeProvider time,
    ILogger logger,
    HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The activity of one attempt.</summary>
    public const string ActivityName = "SecureAoai.Attempt";

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var endpoint = table.Find(request.RequestUri!) ?? throw EndpointTable.NotAnEndpoint(request.RequestUri!);
        var state = FailoverRequest.Of(request);
        if (state.Previous is { } previous && previous != endpoint)
        {
            FailoverMetrics.Failovers.Add(1, new TagList { { "from", previous.Name }, { "to", endpoint.Name } });
        }

        state.Previous = endpoint;
        state.Sent++;
        using var activity = Telemetry.Source.StartActivity(ActivityName);
        activity?.SetTag("secureaoai.endpoint", endpoint.Name);
        activity?.SetTag("secureaoai.attempt", state.Sent);

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FailoverRules.IsEndpointFault(ex) && !cancellationToken.IsCancellationRequested)
        {
            Failed(endpoint, state, ex, activity);
            throw;
        }

        var status = (int)response.StatusCode;
        Record(endpoint, status.ToString(CultureInfo.InvariantCulture), activity);
        ObserveRateLimits(endpoint, response);
        if (status is >= 300 and < 400)
        {
            throw Redirected(endpoint, response);
        }

        if (!FailoverRules.FailsOver(status, options))
        {
            endpoint.Succeeded();
            if (UsageMeter.Watches(response))
            {
                await WatchAsync(response, endpoint, state, cancellationToken).ConfigureAwait(false);
            }

            return response;
        }

        Failed(endpoint, state, response);

        // Nobody reads a failed answer's body: the connection is freed now. Its status and headers
        // stay readable for the hedging strategy, which moves on.
        response.Dispose();
        return response;
    }

    /// <summary>Token usage and the stream watch; apart from <see cref="SendAsync"/> so its callbacks are made only for a response that needs them.</summary>
    private Task WatchAsync(HttpResponseMessage response, FailoverEndpoint endpoint, FailoverRequest state, CancellationToken cancellationToken) =>
        UsageMeter.AttachAsync(response, endpoint.Name, () => state.Template.DeploymentFor(endpoint), error => StreamBroke(endpoint, error), cancellationToken);

    private void Failed(FailoverEndpoint endpoint, FailoverRequest state, Exception error, Activity? activity)
    {
        var (outcome, reason) = error switch
        {
            TimeoutRejectedException => ("timeout", $"no response headers within {options.AttemptTimeout.TotalSeconds:0.#} s"),
            BrokenCircuitException => ("circuit_open", "circuit open after repeated failures"),
            EndpointNetworkException network => ("network_policy", network.Message.Split(Environment.NewLine)[0]),
            _ => ("connect_error", error.InnerException?.Message ?? error.Message),
        };
        Record(endpoint, outcome, activity);

        // A refused or open endpoint is left out for this request only; a failing one cools down.
        TimeSpan? cooldown = null;
        if (error is BrokenCircuitException or EndpointNetworkException)
        {
            state.Exclude(endpoint);
        }
        else
        {
            cooldown = CoolDown(endpoint, null);
        }

        Log.AttemptFailed(logger, endpoint.Name, outcome, reason);
        state.Failed(new FailoverAttempt(endpoint.Name, null, reason, cooldown), error);
    }

    private void Failed(FailoverEndpoint endpoint, FailoverRequest state, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status == 404)
        {
            state.Exclude(endpoint);
            Log.AttemptFailed(logger, endpoint.Name, "404", "deployment not found here");
            state.Failed(new FailoverAttempt(endpoint.Name, status, "not found at this endpoint", null), null);
            return;
        }

        var requested = RetryHeaders.RequestedWait(response, time.GetUtcNow());
        var cooldown = CoolDown(endpoint, requested);
        if (status == 429)
        {
            FailoverMetrics.Throttles.Add(1, new TagList { { "endpoint", endpoint.Name } });
        }

        var reason = requested is { } asked
            ? $"{response.ReasonPhrase}; asked to wait {asked.TotalSeconds:0.###} s{(asked > maxRetryAfter ? $", capped at {maxRetryAfter.TotalSeconds:0.#} s" : "")}"
            : response.ReasonPhrase ?? "failed";
        Log.AttemptFailed(logger, endpoint.Name, status.ToString(CultureInfo.InvariantCulture), reason);
        state.Failed(new FailoverAttempt(endpoint.Name, status, reason, cooldown), null);
    }

    /// <summary>A stream that passed as a success broke while the caller read it: its endpoint failed, for the breaker and the cooldown.</summary>
    private void StreamBroke(FailoverEndpoint endpoint, Exception error)
    {
        FailoverMetrics.BrokenStreams.Add(1, new TagList { { "endpoint", endpoint.Name } });
        var cooldown = CoolDown(endpoint, null);
        Log.StreamBroke(logger, endpoint.Name, cooldown.TotalSeconds, error.Message);
        _ = endpoint.CountFailureAsync(error).AsTask();
    }

    private TimeSpan CoolDown(FailoverEndpoint endpoint, TimeSpan? requested)
    {
        var cooldown = endpoint.CoolDown(time.GetUtcNow(), requested, options.BaseCooldown, maxRetryAfter);
        FailoverMetrics.Cooldown.Record(cooldown.TotalSeconds, new TagList { { "endpoint", endpoint.Name } });
        return cooldown;
    }

    /// <summary>
    /// An endpoint answered with a redirect. It is not followed: the request's credentials (an
    /// <c>api-key</c> header) would go with it, to wherever the answer points.
    /// </summary>
    private HttpRequestException Redirected(FailoverEndpoint endpoint, HttpResponseMessage response)
    {
        using (response)
        {
            var location = response.Headers.Location is { } target ? $" to {target}" : "";
            Log.AttemptFailed(logger, endpoint.Name, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), "redirect, not followed");
            return new HttpRequestException(
                $"{endpoint.BaseUri} answered {(int)response.StatusCode} ({response.ReasonPhrase}), a redirect{location}. SecureOpenAI does not follow redirects: the request's credentials would go with it. Set the endpoint (SecureOpenAI:Endpoint or :Endpoints) to the resource's own address, such as https://NAME.openai.azure.com/.",
                null,
                response.StatusCode);
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
            rateLimits.Record(new RateLimitSnapshot(endpoint.Name, requests, tokens, time.GetUtcNow()));
        }
    }
}
