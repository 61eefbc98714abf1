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
/// The request's side of failover: buffers the request once, holds its total timeout, sends its
/// first attempt to the best endpoint free now (waiting only when every one is cooling and the wait
/// fits the budget), hands a first attempt that failed over to Microsoft.Extensions.Http.Resilience's
/// hedging strategy for the next ones (see <see cref="CreatePipeline"/>), and turns a request no
/// endpoint could serve into one clear error. Returns once response headers arrive, so a started
/// stream is never sent again.
/// </summary>
/// <remarks>
/// The first attempt is sent here, not inside the hedging strategy: a request its first endpoint
/// serves (nearly all of them) then pays for no hedging controller, execution context, linked
/// cancellation source or second timeout, which cost more CPU than the rest of the chain together
/// (benchmarks/results/2026-11-27-client.md). When that attempt fails over, the strategy is given its
/// outcome as its own primary execution's, so it counts, reports (<c>OnHedging</c>) and routes every
/// further attempt as it would have; the library has no way to start a hedging execution from an
/// outcome already known, which is the only glue here. The total timeout is one cancellation source
/// of this handler's, on the <see cref="TimeProvider"/>, over waits and attempts alike.
/// </remarks>
internal sealed class FailoverHandler : DelegatingHandler
{
    /// <summary>The name of the request-level pipeline in the resilience telemetry.</summary>
    public const string PipelineName = "SecureAoai.Failover";

    private readonly EndpointTable _table;
    private readonly EndpointSelector _selector;
    private readonly SecureOpenAIFailoverOptions _options;
    private readonly int _maxAttempts;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage>? _failover;

    public FailoverHandler(
        EndpointTable table,
        EndpointSelector selector,
        SecureOpenAIFailoverOptions options,
        int maxRetries,
        TimeProvider time,
        TelemetryOptions? telemetry,
        HttpMessageHandler inner)
        : base(inner)
    {
        _table = table;
        _selector = selector;
        _options = options;
        _maxAttempts = maxRetries + 1;
        _time = time;
        _failover = maxRetries > 0 ? CreatePipeline(maxRetries, telemetry) : null;
    }

    /// <summary>
    /// The pipeline a request enters once its first attempt failed over: hedging with an infinite
    /// delay, which is failover: the next attempt starts only after the previous one failed, at the
    /// endpoint our routing picks, with the request rebuilt for it.
    /// </summary>
    private ResiliencePipeline<HttpResponseMessage> CreatePipeline(int maxRetries, TelemetryOptions? telemetry)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = PipelineName, TimeProvider = _time };
        if (telemetry is not null)
        {
            builder.ConfigureTelemetry(telemetry);
        }

        return builder.AddHedging(new HttpHedgingStrategyOptions
        {
            Name = "Failover",
            MaxHedgedAttempts = maxRetries,
            Delay = Timeout.InfiniteTimeSpan,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: { } error } => MovesOn(error, args.Context.CancellationToken),
                { Result: { } response } => FailoverRules.FailsOver((int)response.StatusCode, _options),
                _ => false,
            }),
            ActionGenerator = NextAttempt,
        }).Build();
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    // One method for the whole success path on purpose: every async layer a request passes costs an
    // allocation and a continuation when the network answers asynchronously.
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var addressed = _table.Find(uri) ?? throw EndpointTable.NotAnEndpoint(uri);
        var template = await RequestTemplate.CreateAsync(request, addressed, _table.CredentialHeaders, cancellationToken).ConfigureAwait(false);
        var outcome = request.Options.TryGetValue(RequestOutcome.Key, out var given) ? given : new RequestOutcome();
        var state = new FailoverRequest(template, _time.GetUtcNow() + _options.TotalTimeout, _maxAttempts, outcome);

        // The total timeout, until response headers: one timer over the waits and every attempt,
        // cancelled with the caller's token too.
        using var budget = new CancellationTokenSource(_options.TotalTimeout, _time);
        using var callerCancels = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), budget);
        var context = ResilienceContextPool.Shared.Get(budget.Token);
        context.Properties.Set(FailoverRequest.Key, state);
        Exception failure;
        try
        {
            if (await _selector.NextAsync(state, _time, budget.Token).ConfigureAwait(false) is { } endpoint)
            {
                HttpResponseMessage? response = null;
                Exception? error = null;
                var first = template.For(endpoint);
                first.SetResilienceContext(context);
                try
                {
                    response = await base.SendAsync(first, budget.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (_failover is not null && MovesOn(ex, budget.Token))
                {
                    error = ex;
                }
                finally
                {
                    first.SetResilienceContext(null);
                }

                if (_failover is not null && (response is null || FailoverRules.FailsOver((int)response.StatusCode, _options)))
                {
                    response = await FailOverAsync(_failover, error is null ? Outcome.FromResult(response!) : Outcome.FromException<HttpResponseMessage>(error), context).ConfigureAwait(false);
                }

                if (!FailoverRules.FailsOver((int)response!.StatusCode, _options))
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
        catch (OperationCanceledException ex) when (budget.IsCancellationRequested)
        {
            var reason = $"the total timeout of {_options.TotalTimeout.TotalSeconds:0.#} s (SecureOpenAI:Failover:TotalTimeout) ran out";
            failure = GiveUp(state, reason, new TimeoutRejectedException($"SecureOpenAI: {reason} before response headers arrived.", _options.TotalTimeout, ex));
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
            ResilienceContextPool.Shared.Return(context);
        }

        FailoverMetrics.Requests.Add(1, new TagList { { "outcome", "failed" } });

        // A network refusal was thrown before: rethrown with its own stack.
        ExceptionDispatchInfo.Throw(failure);
        throw new UnreachableException();
    }

    /// <summary>Whether an attempt's error moves the request to the next endpoint: the endpoint's fault, while the request still has budget and a caller.</summary>
    private static bool MovesOn(Exception error, CancellationToken request) =>
        FailoverRules.IsEndpointFault(error) && !request.IsCancellationRequested;

    /// <summary>
    /// The attempts after a first one that failed over, in the hedging strategy: its primary
    /// execution is that first attempt (its outcome, not a second send). Returns the last answer;
    /// throws the last attempt's error.
    /// </summary>
    private static async Task<HttpResponseMessage> FailOverAsync(ResiliencePipeline<HttpResponseMessage> failover, Outcome<HttpResponseMessage> first, ResilienceContext context)
    {
        var last = await failover.ExecuteOutcomeAsync(static (_, first) => ValueTask.FromResult(first), context, first).ConfigureAwait(false);
        last.ThrowIfException();
        return last.Result!;
    }

    private Exception GiveUp(FailoverRequest state, string? reason = null, Exception? cause = null) =>
        state.GiveUp(_table.Endpoints, _time.GetUtcNow(), reason, cause);

    /// <summary>
    /// Our routing, plugged into the hedging strategy: the next attempt goes to the endpoint the
    /// selector picks (after a wait, if every one is cooling and the wait fits the budget), with the
    /// request rebuilt for it. No endpoint: no further attempt, and the last outcome stands.
    /// </summary>
    private Func<ValueTask<Outcome<HttpResponseMessage>>>? NextAttempt(HedgingActionGeneratorArguments<HttpResponseMessage> args)
    {
        var state = args.PrimaryContext.Properties.GetValue(FailoverRequest.Key, null!);
        if (_selector.Next(state, _time.GetUtcNow()).GivesUp)
        {
            return null;
        }

        return () => SendNextAsync(state, args.ActionContext);
    }

    private async ValueTask<Outcome<HttpResponseMessage>> SendNextAsync(FailoverRequest state, ResilienceContext context)
    {
        if (await _selector.NextAsync(state, _time, context.CancellationToken).ConfigureAwait(false) is not { } endpoint)
        {
            return Outcome.FromException<HttpResponseMessage>(new NoEndpointLeftException());
        }

        var attempt = state.Template.For(endpoint);
        attempt.SetResilienceContext(context);
        try
        {
            return Outcome.FromResult(await base.SendAsync(attempt, context.CancellationToken).ConfigureAwait(false));
        }
        catch (Exception error)
        {
            return Outcome.FromException<HttpResponseMessage>(error);
        }
        finally
        {
            attempt.SetResilienceContext(null);
        }
    }
}
