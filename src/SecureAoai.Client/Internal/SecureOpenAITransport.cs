using System.ClientModel.Primitives;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly.Telemetry;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The secured HTTP path every OpenAI client shares, owned here and disposed with the service
/// provider: the endpoint table, failover on Microsoft.Extensions.Http.Resilience, the network
/// guard and the connect callback, TLS trust. Another client library is handed <see cref="HttpClient"/>
/// (or <see cref="PipelineTransport"/>) and must not dispose it.
/// </summary>
/// <remarks>
/// The handler chain, outermost first:
/// <list type="number">
/// <item><see cref="FailoverHandler"/>: buffers the request, holds its total timeout, sends its first attempt, and only when that one
/// fails over runs the request pipeline (hedging with an infinite delay: failover, routed by <see cref="EndpointSelector"/>);
/// turns "no endpoint could serve it" into one error.</item>
/// <item><see cref="AttemptHandler"/>: one attempt's telemetry, cooldown, redirect refusal, stream watch.</item>
/// <item><see cref="EndpointAuthenticationHandler"/>: the chosen endpoint's own credential (a token of its scope, or its key); one token refresh on a 401.</item>
/// <item>ResilienceHandler with the endpoint's pipeline: its circuit breaker, then the attempt timeout.</item>
/// <item><see cref="GuardHandler"/>: the network verdict, before every request.</item>
/// <item>SocketsHttpHandler: connects through <see cref="EndpointTable.ConnectAsync"/>; certificates checked by <see cref="EndpointTrust"/>.</item>
/// </list>
/// Failover is the only layer that retries or times out: the OpenAI pipeline's retry policy is off
/// (<see cref="RetryPolicy"/>) and <see cref="HttpClient.Timeout"/> is infinite.
/// </remarks>
internal sealed class SecureOpenAITransport : IDisposable
{
    public SecureOpenAITransport(
        IOptions<SecureOpenAIOptions> options,
        SecureOpenAIRateLimits? rateLimits = null,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null,
        IHostEnvironment? environment = null)
    {
        var settings = options.Value;
        time ??= TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("SecureAoai.Client");
        var telemetry = new TelemetryOptions
        {
            LoggerFactory = loggerFactory,
            // An answer is logged by its status alone: its headers and body are not the pipeline's to log.
            ResultFormatter = (_, result) => result is HttpResponseMessage response ? (int)response.StatusCode : result,
        };

        Trust = EndpointTrust.FromOptions(settings.TrustedCaCertificatePath);
        Authentication = EndpointAuthentication.Create(settings, Trust, environment?.IsDevelopment() ?? false, logger, time);
        Endpoints = EndpointTable.Create(settings, Authentication, time, logger, telemetry);
        var sockets = Trust.CreateHandler();
        sockets.ConnectCallback = Endpoints.ConnectAsync;
        var handler = CreateFailoverHandler(Endpoints, settings, rateLimits ?? new SecureOpenAIRateLimits(), time, logger, telemetry, new GuardHandler(Endpoints, sockets));

        // HttpClient's own timeout would cut long streams, and failover has its own: off.
        HttpClient = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        PipelineTransport = new SecureOpenAIPipelineTransport(HttpClient);
    }

    /// <summary>The OpenAI pipeline's retry policy: none, since failover already retried.</summary>
    public static ClientRetryPolicy RetryPolicy { get; } = new(maxRetries: 0);

    /// <summary>What each endpoint is sent to authenticate: the credential chain, the token caches (one per scope), the keys.</summary>
    public EndpointAuthentication Authentication { get; }

    /// <summary>The endpoints and how each is reached.</summary>
    public EndpointTable Endpoints { get; }

    /// <summary>Certificate trust, shared with the credential chain's transport to a loopback authority.</summary>
    public EndpointTrust Trust { get; }

    /// <summary>The secured client. Owned by this transport: use it, do not dispose it.</summary>
    public HttpClient HttpClient { get; }

    /// <summary><see cref="HttpClient"/> as a System.ClientModel transport, for OpenAI (and Azure.AI.OpenAI) client options.</summary>
    public HttpClientPipelineTransport PipelineTransport { get; }

    /// <summary>The failover part of the chain, above <paramref name="network"/> (the guard and the sockets, or a test's stand-in).</summary>
    internal static FailoverHandler CreateFailoverHandler(
        EndpointTable table,
        SecureOpenAIOptions settings,
        SecureOpenAIRateLimits rateLimits,
        TimeProvider time,
        ILogger logger,
        TelemetryOptions? telemetry,
        HttpMessageHandler network)
    {
        var selector = new EndpointSelector(table.Endpoints);
#pragma warning disable EXTEXP0001 // ResilienceHandler is marked experimental; it is the handler AddResilienceHandler builds on.
        var perEndpoint = new ResilienceHandler(request => table.Find(request.RequestUri!)!.Pipeline) { InnerHandler = network };
        var authenticate = new EndpointAuthenticationHandler(table, logger, perEndpoint);
#pragma warning restore EXTEXP0001
        var attempt = new AttemptHandler(table, settings.Failover, settings.MaxRetryAfter, rateLimits, time, logger, authenticate);
        return new FailoverHandler(table, selector, settings.Failover, settings.MaxRetries, time, telemetry, attempt);
    }

    public void Dispose()
    {
        HttpClient.Dispose();
        Endpoints.Dispose();
        Trust.Dispose();
    }
}
