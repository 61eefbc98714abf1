using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The routes of one emulated resource and the checks every request passes in Azure's order:
/// firewall, api-version, credentials and role, body, deployment.
/// </summary>
internal sealed class DataPlaneEndpoints
{
    // Throttling is not emulated; these are the quota a generous deployment would report.
    private const int RemainingRequestsReported = 1000;
    private const int RemainingTokensReported = 1_000_000;
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
        var chat = new ChatCompletionsResponder(instance.Name);
        app.Use(endpoints.ApplyNetworkRulesAsync);

        app.MapPost("/openai/v1/chat/completions", context =>
            endpoints.HandleAsync(context, DataAction.ChatCompletions, EmulatorDeploymentKind.Chat, chat.RespondAsync));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", context =>
            endpoints.HandleAsync(context, DataAction.ChatCompletions, EmulatorDeploymentKind.Chat, chat.RespondAsync));
        app.MapPost("/openai/v1/embeddings", context =>
            endpoints.HandleAsync(context, DataAction.Embeddings, EmulatorDeploymentKind.Embedding, EmbeddingsResponder.RespondAsync));
        app.MapPost("/openai/deployments/{deployment}/embeddings", context =>
            endpoints.HandleAsync(context, DataAction.Embeddings, EmulatorDeploymentKind.Embedding, EmbeddingsResponder.RespondAsync));
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
        headers["x-ratelimit-remaining-requests"] = RemainingRequestsReported.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-tokens"] = RemainingTokensReported.ToString(CultureInfo.InvariantCulture);

        System.Net.IPAddress? source = context.Connection.RemoteIpAddress;
        if (source is null || !_instance.SourceNetworks.Allows(source))
        {
            await new AzureError(StatusCodes.Status403Forbidden, "403", "Access denied due to Virtual Network/Firewall rules.")
                .WriteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context, DataAction action, EmulatorDeploymentKind kind, Responder respond)
    {
        string? routeDeployment = context.Request.RouteValues["deployment"] as string;
        if (routeDeployment is not null && string.IsNullOrEmpty(context.Request.Query["api-version"]))
        {
            await new AzureError(
                    StatusCodes.Status400BadRequest,
                    "missing_api_version",
                    "Missing required query parameter 'api-version'. Add ?api-version=2024-10-21 (or another supported version) to the URL, or use the /openai/v1/ API, which needs none.")
                .WriteAsync(context).ConfigureAwait(false);
            return;
        }

        AzureError? denied = await _authorizer.AuthorizeAsync(context, _instance, action).ConfigureAwait(false);
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
        else if (actual != kind)
        {
            deploymentError = AzureError.OperationNotSupported(kind == EmulatorDeploymentKind.Chat ? "chatCompletion" : "embeddings", deployment);
        }

        if (deploymentError is not null)
        {
            await deploymentError.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        await respond(context, new DataPlaneRequest(deployment!, body.RootElement)).ConfigureAwait(false);
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
}
