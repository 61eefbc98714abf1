using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The routes of one emulated resource and the checks every request passes in Azure's order:
/// firewall, injected faults (latency, forced throttle, error statuses), api-version, credentials
/// and role, body, deployment, the deployment's rate limit.
/// </summary>
internal sealed class DataPlaneEndpoints
{
    private const string V1ApiVersion = "v1";
    private static readonly DateTimeOffset ModelsCreated = new(2024, 7, 18, 0, 0, 0, TimeSpan.Zero);

    private readonly EmulatorInstance _instance;
    private readonly DataPlaneAuthorizer _authorizer;

    private DataPlaneEndpoints(EmulatorInstance instance, DataPlaneAuthorizer authorizer)
    {
        _instance = instance;
        _authorizer = authorizer;
    }

    private delegate Task Responder(HttpContext context, DataPlaneRequest request);

    public static void Map(WebApplication app, EmulatorInstance instance, DataPlaneAuthorizer authorizer)
    {
        var endpoints = new DataPlaneEndpoints(instance, authorizer);
        var chatResponder = new ChatCompletionsResponder(instance);
        var chat = new Route(DataAction.ChatCompletions, EmulatorDeploymentKind.Chat, chatResponder.EstimateTokens, chatResponder.RespondAsync);
        var embeddings = new Route(DataAction.Embeddings, EmulatorDeploymentKind.Embedding, EmbeddingsResponder.EstimateTokens, EmbeddingsResponder.RespondAsync);
        app.Use(endpoints.ApplyNetworkRulesAsync);
        app.Use(endpoints.InjectFaultsAsync);

        app.MapPost("/openai/v1/chat/completions", context => endpoints.HandleAsync(context, chat));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", context => endpoints.HandleAsync(context, chat));
        app.MapPost("/openai/v1/embeddings", context => endpoints.HandleAsync(context, embeddings));
        app.MapPost("/openai/deployments/{deployment}/embeddings", context => endpoints.HandleAsync(context, embeddings));
        app.MapGet("/openai/v1/models", endpoints.ListModelsAsync);
        app.MapFallback(context => AzureError.NotFound().WriteAsync(context));
    }

    private async Task ApplyNetworkRulesAsync(HttpContext context, RequestDelegate next)
    {
        _instance.CountRequest();
        IHeaderDictionary headers = context.Response.Headers;
        string requestId = Guid.NewGuid().ToString();
        headers["x-ms-region"] = _instance.Name;
        headers["x-request-id"] = requestId;
        headers["apim-request-id"] = requestId;

        System.Net.IPAddress? source = context.Connection.RemoteIpAddress;
        if (source is null || !_instance.SourceNetworks.Allows(source))
        {
            await new AzureError(StatusCodes.Status403Forbidden, "403", "Access denied due to Virtual Network/Firewall rules.")
                .WriteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    // The plan is read once per request, so a change while a request waits out its latency applies to the next one.
    private async Task InjectFaultsAsync(HttpContext context, RequestDelegate next)
    {
        FaultPlan faults = _instance.Faults;
        if (faults.Latency > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(faults.Latency, _instance.TimeProvider, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
        }

        if (faults.ThrottleRetryAfter is TimeSpan retryAfter)
        {
            _instance.CountThrottled();
            context.Response.Headers[RateLimitHeaders.RemainingRequests] = "0";
            context.Response.Headers[RateLimitHeaders.RemainingTokens] = "0";
            long seconds = RateLimitHeaders.WriteRetryAfter(context.Response, retryAfter);
            await AzureError.Throttled(seconds).WriteAsync(context).ConfigureAwait(false);
            return;
        }

        if (_instance.TryDrawError(faults, out int status))
        {
            _instance.CountFaulted();
            await AzureError.Injected(status).WriteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context, Route route)
    {
        string? routeDeployment = context.Request.RouteValues["deployment"] as string;
        string? apiVersion = context.Request.Query["api-version"];
        if (routeDeployment is not null && string.IsNullOrEmpty(apiVersion))
        {
            await new AzureError(
                    StatusCodes.Status400BadRequest,
                    "missing_api_version",
                    "Missing required query parameter 'api-version'. Add ?api-version=2024-10-21 (or another supported version) to the URL, or use the /openai/v1/ API, which needs none.")
                .WriteAsync(context).ConfigureAwait(false);
            return;
        }

        AzureError? denied = await _authorizer.AuthorizeAsync(context, _instance, route.Action).ConfigureAwait(false);
        if (denied is not null)
        {
            await denied.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        using JsonDocument? body = await TryParseBodyAsync(context).ConfigureAwait(false);
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            await AzureError.BadRequest("The request body must be a JSON object.").WriteAsync(context).ConfigureAwait(false);
            return;
        }

        string? deployment = routeDeployment;
        if (deployment is null && body.RootElement.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.String)
        {
            deployment = model.GetString();
        }

        AzureError? deploymentError = null;
        if (string.IsNullOrEmpty(deployment))
        {
            deploymentError = AzureError.BadRequest("'model' is a required property: set it to the deployment name.");
        }
        else if (!_instance.Deployments.TryGetValue(deployment, out EmulatorDeploymentKind actual))
        {
            deploymentError = AzureError.DeploymentNotFound();
        }
        else if (actual != route.Kind)
        {
            deploymentError = AzureError.OperationNotSupported(route.Kind == EmulatorDeploymentKind.Chat ? "chatCompletion" : "embeddings", deployment);
        }

        if (deploymentError is not null)
        {
            await deploymentError.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        var request = new DataPlaneRequest(deployment!, body.RootElement);
        if (await RefuseOverQuotaAsync(context, route, request, string.IsNullOrEmpty(apiVersion) ? V1ApiVersion : apiVersion).ConfigureAwait(false))
        {
            return;
        }

        await route.Respond(context, request).ConfigureAwait(false);
    }

    /// <summary>Writes the deployment's quota headers; answers 429 and returns <see langword="true"/> when the request does not fit.</summary>
    private async Task<bool> RefuseOverQuotaAsync(HttpContext context, Route route, DataPlaneRequest request, string apiVersion)
    {
        RateLimitDecision? quota = _instance.RateLimiter.TryAdmit(request.Deployment, route.EstimateTokens(request));
        if (quota is null)
        {
            return false;
        }

        RateLimitHeaders.WriteQuota(context.Response, quota);
        if (quota.Admitted)
        {
            return false;
        }

        _instance.CountThrottled();
        long seconds = RateLimitHeaders.WriteRetryAfter(context.Response, quota.RetryAfter);
        await AzureError.RateLimited(route.Action.OperationId, apiVersion, seconds, quota.TokensExceeded).WriteAsync(context).ConfigureAwait(false);
        return true;
    }

    private async Task ListModelsAsync(HttpContext context)
    {
        AzureError? denied = await _authorizer.AuthorizeAsync(context, _instance, DataAction.ListModels).ConfigureAwait(false);
        if (denied is not null)
        {
            await denied.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        var data = new JsonArray();
        foreach (string deployment in _instance.Deployments.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(new JsonObject
            {
                ["id"] = deployment,
                ["object"] = "model",
                ["created"] = ModelsCreated.ToUnixTimeSeconds(),
                ["owned_by"] = "system",
            });
        }

        await context.Response.WriteJsonAsync(new JsonObject { ["object"] = "list", ["data"] = data }, context.RequestAborted)
            .ConfigureAwait(false);
    }

    private static async Task<JsonDocument?> TryParseBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Route(DataAction Action, EmulatorDeploymentKind Kind, Func<DataPlaneRequest, int> EstimateTokens, Responder Respond);
}
