using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The routes of one emulated resource and the checks every request passes in Azure's order:
/// firewall, injected faults (latency, forced throttle, error statuses), api-version, credentials
/// and role, body, deployment, the deployment's rate limit. Each stage adds the headers Azure's does
/// (<see cref="ResponseHeaders"/>).
/// </summary>
internal sealed class DataPlaneEndpoints
{
    private static readonly DateTimeOffset ModelsCreated = new(2024, 7, 18, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ModelsDeprecated = new(2026, 7, 18, 0, 0, 0, TimeSpan.Zero);

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
        app.MapGet("/openai/v1/models", context => endpoints.ListModelsAsync(context, v1: true));
        app.MapGet("/openai/models", context => endpoints.ListModelsAsync(context, v1: false));
        app.MapFallback(context =>
        {
            ResponseHeaders.Security(context.Response);
            return AzureError.NotFound().WriteAsync(context);
        });
    }

    private async Task ApplyNetworkRulesAsync(HttpContext context, RequestDelegate next)
    {
        _instance.CountRequest();
        ResponseHeaders.Gateway(context.Response);

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
        if (await RefuseApiVersionAsync(context, required: routeDeployment is not null).ConfigureAwait(false) is not string apiVersion
            || !await AuthorizeAsync(context).ConfigureAwait(false))
        {
            return;
        }

        using JsonDocument? body = await TryParseBodyAsync(context).ConfigureAwait(false);
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            await AzureError.BadRequest("The request body must be a JSON object.").WriteAsync(context).ConfigureAwait(false);
            return;
        }

        string? name = routeDeployment;
        if (name is null && body.RootElement.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.String)
        {
            name = model.GetString();
        }

        EmulatedDeployment? deployment = null;
        AzureError? deploymentError = null;
        if (string.IsNullOrEmpty(name))
        {
            deploymentError = AzureError.BadRequest("'model' is a required property: set it to the deployment name.");
        }
        else if (!_instance.Deployments.TryGetValue(name, out deployment))
        {
            deploymentError = AzureError.DeploymentNotFound();
        }
        else if (deployment.Kind != route.Kind)
        {
            deploymentError = AzureError.OperationNotSupported(route.Kind == EmulatorDeploymentKind.Chat ? "chatCompletion" : "embeddings", name);
        }

        if (deploymentError is not null)
        {
            await deploymentError.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        var request = new DataPlaneRequest(deployment!, body.RootElement, apiVersion);
        if (await RefuseOverQuotaAsync(context, route, request).ConfigureAwait(false))
        {
            return;
        }

        ResponseHeaders.Deployment(context, deployment!);
        await route.Respond(context, request).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the api-version to answer in (<see cref="ApiVersions.V1"/> where none is taken), or
    /// answers as Azure does and returns <see langword="null"/>: a missing one where it is required
    /// is 404 <c>Resource not found</c>, an unknown one 400 "API version not supported".
    /// </summary>
    private static async Task<string?> RefuseApiVersionAsync(HttpContext context, bool required)
    {
        string? apiVersion = context.Request.Query["api-version"];
        if (!required)
        {
            return ApiVersions.V1;
        }

        ResponseHeaders.Security(context.Response);
        AzureError? error = string.IsNullOrEmpty(apiVersion) ? AzureError.NotFound()
            : !ApiVersions.IsKnown(apiVersion) ? AzureError.ApiVersionNotSupported()
            : null;
        if (error is null)
        {
            return apiVersion;
        }

        await error.WriteAsync(context).ConfigureAwait(false);
        return null;
    }

    /// <summary>Checks credentials and role; on success adds the headers of an authenticated answer, else answers the refusal.</summary>
    private async Task<bool> AuthorizeAsync(HttpContext context)
    {
        AzureError? denied = await _authorizer.AuthorizeAsync(context, _instance).ConfigureAwait(false);
        if (denied is not null)
        {
            // The gateway refuses a credential before the resource adds its headers (recorded 401s carry none).
            context.Response.Headers.Remove(HeaderNames.StrictTransportSecurity);
            context.Response.Headers.Remove(HeaderNames.XContentTypeOptions);
            await denied.WriteAsync(context).ConfigureAwait(false);
            return false;
        }

        ResponseHeaders.Resource(context.Response, _instance);
        return true;
    }

    /// <summary>Writes the deployment's quota headers; answers 429 and returns <see langword="true"/> when the request does not fit.</summary>
    private async Task<bool> RefuseOverQuotaAsync(HttpContext context, Route route, DataPlaneRequest request)
    {
        RateLimitDecision? quota = _instance.RateLimiter.TryAdmit(request.Deployment.Name, route.EstimateTokens(request));
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
        await AzureError.RateLimited(route.Action.OperationId, request.ApiVersion, seconds, quota.TokensExceeded).WriteAsync(context).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The models behind the resource's deployments (not the deployments), in the item shape of
    /// Azure's Models - List (https://learn.microsoft.com/rest/api/azureopenai/models/list); the v1
    /// list adds OpenAI's <c>created</c> and <c>owned_by</c> so OpenAI clients can read it.
    /// </summary>
    private async Task ListModelsAsync(HttpContext context, bool v1)
    {
        if (await RefuseApiVersionAsync(context, required: !v1).ConfigureAwait(false) is null || !await AuthorizeAsync(context).ConfigureAwait(false))
        {
            return;
        }

        var data = new JsonArray();
        foreach (IGrouping<string, EmulatedDeployment> model in _instance.Deployments.Values.GroupBy(d => d.Model, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            EmulatorDeploymentKind kind = model.First().Kind;
            var item = new JsonObject
            {
                ["status"] = "succeeded",
                ["capabilities"] = new JsonObject
                {
                    ["fine_tune"] = false,
                    ["inference"] = true,
                    ["completion"] = false,
                    ["chat_completion"] = kind == EmulatorDeploymentKind.Chat,
                    ["embeddings"] = kind == EmulatorDeploymentKind.Embedding,
                },
                ["lifecycle_status"] = "generally-available",
                ["deprecation"] = new JsonObject { ["inference"] = ModelsDeprecated.ToUnixTimeSeconds() },
                ["id"] = model.Key,
                ["created_at"] = ModelsCreated.ToUnixTimeSeconds(),
                ["object"] = "model",
            };
            if (v1)
            {
                item["created"] = ModelsCreated.ToUnixTimeSeconds();
                item["owned_by"] = "system";
            }

            data.Add(item);
        }

        await context.Response.WriteJsonAsync(new JsonObject { ["data"] = data, ["object"] = "list" }, context.RequestAborted)
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
