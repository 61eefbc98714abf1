using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Hedging;
using Polly.Telemetry;
using Polly.Timeout;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>
/// The request's side of failover: buffers the request once, sends its first attempt to the best
/// endpoint free now (waiting only when every one is cooling and the wait fits the budget), and
/// turns a request no endpoint could serve into one clear error. The attempts themselves run in
/// Microsoft.Extensions.Http.Resilience's pipeline below it (see <see cref="CreatePipeline"/>).
/// Returns once response headers arrive, so a started stream is never sent again.
/// </summary>
internal sealed class FailoverHandler : DelegatingHandler
{
    /// <summary>The name of the request-level pipeline in the resilience telemetry.</summary>
    public const string PipelineName = "SecureAoai.Failover";

    private readonly EndpointTable _table;
    private readonly EndpointSelector _selector;
    private readonly SecureOpenAIFailoverOptions _options;
    private readonly int _maxAttempts;
    private readonly TimeProvider _time;

    public FailoverHandler(EndpointTable table, EndpointSelector selector, SecureOpenAIFailoverOptions options, int maxRetries, TimeProvider time, HttpMessageHandler inner)
        : base(inner)
    {
        _table = table;
        _selector = selector;
        _options = options;
        _maxAttempts = maxRetries + 1;
        _time = time;
    }

    /// <summary>
    /// The pipeline every request runs in: the total timeout (until response headers), then hedging
    /// with an infinite delay, which is failover: the next attempt starts only after the previous one
    /// failed, at the endpoint our routing picks, with the request rebuilt for it.
    /// </summary>
    public static ResiliencePipeline<HttpResponseMessage> CreatePipeline(
        EndpointSelector selector, SecureOpenAIFailoverOptions options, int maxRetries, TimeProvider time, TelemetryOptions? telemetry)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = PipelineName, TimeProvider = time };
        if (telemetry is not null)
        {
            builder.ConfigureTelemetry(telemetry);
        }

        // The budget left when the pipeline starts: a first wait for a cooling endpoint came out of it.
        builder.AddTimeout(new HttpTimeoutStrategyOptions
        {
            Name = "TotalTimeout",
            TimeoutGenerator = args => ValueTask.FromResult(Remaining(args.Context, time, options.TotalTimeout)),
        });
        if (maxRetries > 0)
        {
            builder.AddHedging(new HttpHedgingStrategyOptions
            {
                Name = "Failover",
                MaxHedgedAttempts = maxRetries,
                Delay = Timeout.InfiniteTimeSpan,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: { } error } => FailoverRules.IsEndpointFault(error) && !args.Context.CancellationToken.IsCancellationRequested,
                    { Result: { } response } => FailoverRules.FailsOver((int)response.StatusCode, options),
                    _ => false,
                }),
                ActionGenerator = args => NextAttempt(args, selector, time),
            });
        }

        return builder.Build();
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var addressed = _table.Find(uri) ?? throw EndpointTable.NotAnEndpoint(uri);
        var template = await RequestTemplate.CreateAsync(request, addressed, _table.CredentialHeaders, cancellationToken).ConfigureAwait(false);
        var outcome = request.Options.TryGetValue(RequestOutcome.Key, out var given) ? given : new RequestOutcome();
        var state = new FailoverRequest(template, _time.GetUtcNow() + _options.TotalTimeout, _maxAttempts, outcome);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(FailoverRequest.Key, state);
        HttpRequestMessage? first = null;
        Exception failure;
        try
        {
            if (await _selector.NextAsync(state, _time, cancellationToken).ConfigureAwait(false) is { } endpoint)
            {
                first = template.For(endpoint);
                first.SetResilienceContext(context);
                var response = await base.SendAsync(first, cancellationToken).ConfigureAwait(false);
                if (!FailoverRules.FailsOver((int)response.StatusCode, _options))
                {
                    FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "success" } });
                    return response;
                }

                // The last attempt's answer was a failure too: no endpoint is left to try.
                response.Dispose();
            }

            failure = GiveUp(state);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "cancelled" } });
            throw;
        }
        catch (TimeoutRejectedException ex) when (!ReferenceEquals(ex, state.LastError))
        {
            failure = GiveUp(state, $"the total timeout of {_options.TotalTimeout.TotalSeconds:0.#} s (SecureOpenAI:Failover:TotalTimeout) ran out", ex);
        }
        catch (Exception ex) when (ex is NoEndpointLeftException || FailoverRules.IsEndpointFault(ex))
        {
            // The last attempt failed too (its error is the cause), or no endpoint was left after a wait.
            failure = GiveUp(state);
        }
        catch (Exception)
        {
            // An error that is the caller's to see as it is (a redirect refused, a body too large).
            FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "failed" } });
            throw;
        }
        finally
        {
            first?.SetResilienceContext(null);
            ResilienceContextPool.Shared.Return(context);
        }

        FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "failed" } });

        // A network refusal was thrown before: rethrown with its own stack.
        ExceptionDispatchInfo.Throw(failure);
        throw new UnreachableException();
    }

    private Exception GiveUp(FailoverRequest state, string? reason = null, Exception? cause = null) =>
        state.GiveUp(_table.Endpoints, _time.GetUtcNow(), reason, cause);

    /// <summary>
    /// Our routing, plugged into the hedging strategy: the next attempt goes to the endpoint the
    /// selector picks (after a wait, if every one is cooling and the wait fits the budget), with the
    /// request rebuilt for it. No endpoint: no further attempt, and the last outcome stands.
    /// </summary>
    private static Func<ValueTask<Outcome<HttpResponseMessage>>>? NextAttempt(
        HedgingActionGeneratorArguments<HttpResponseMessage> args, EndpointSelector selector, TimeProvider time)
    {
        var state = args.PrimaryContext.Properties.GetValue(FailoverRequest.Key, null!);
        if (selector.Next(state, time.GetUtcNow()).GivesUp)
        {
            return null;
        }

        return async () =>
        {
            if (await selector.NextAsync(state, time, args.ActionContext.CancellationToken).ConfigureAwait(false) is not { } endpoint)
            {
                return Outcome.FromException<HttpResponseMessage>(new NoEndpointLeftException());
            }

            args.ActionContext.SetRequestMessage(state.Template.For(endpoint));
            return await args.Callback(args.ActionContext).ConfigureAwait(false);
        };
    }

    private static TimeSpan Remaining(ResilienceContext context, TimeProvider time, TimeSpan total)
    {
        if (!context.Properties.TryGetValue(FailoverRequest.Key, out var state))
        {
            return total;
        }

        var left = state.Deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}
