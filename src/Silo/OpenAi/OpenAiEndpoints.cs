using Chorus.Silo.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.Silo.OpenAi;

/// <summary>The OpenAI-compatible HTTP API, served only on <c>Chorus:Cluster:HttpPort</c> (authenticated like gRPC).</summary>
public static class OpenAiEndpoints
{
    // the gateway is shared with gRPC; registered here because the host adds this API whether or not its port is open
    public static IServiceCollection AddOpenAiApi(this IServiceCollection services) =>
        services.AddGenerationGateway().AddSingleton<CompletionEndpoint>().AddSingleton<ModelsEndpoint>();

    public static void MapOpenAiApi(this IEndpointRouteBuilder app, int port)
    {
        // by the port the connection came in on, not the Host header (a proxy or a Kubernetes service may rename both)
        var api = app.MapGroup("/v1").AddEndpointFilter(async (context, next) => context.HttpContext.Connection.LocalPort == port
            ? await next(context)
            : Results.NotFound());
        api.MapGet("/models", (HttpContext c, ModelsEndpoint e) => e.ListAsync(c));
        api.MapGet("/models/{id}", (HttpContext c, string id, ModelsEndpoint e) => e.GetAsync(c, id));
        api.MapPost("/completions", (HttpContext c, CompletionEndpoint e) => e.HandleAsync(c, TextCompletionShape.Instance));
        api.MapPost("/chat/completions", (HttpContext c, CompletionEndpoint e) => e.HandleAsync(c, ChatCompletionShape.Instance));
        api.Map("/{**rest}", (HttpContext c) => OpenAiError.NotFound($"no such endpoint: {c.Request.Method} {c.Request.Path}; Chorus serves GET /v1/models, POST /v1/completions and POST /v1/chat/completions")
            .WriteAsync(c.Response));
    }
}
