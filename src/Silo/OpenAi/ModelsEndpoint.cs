using System.Text.Json;
using Chorus.Contracts;
using Chorus.Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// <c>GET /v1/models</c> (and <c>/v1/models/{id}</c>): every model a live silo serves and every configured pack, each as an
/// OpenAI model object; <c>owned_by</c> says which is which (<c>chorus</c> for a model, <c>chorus-pack</c> for a pack).
/// </summary>
internal sealed class ModelsEndpoint(ClusterModelDirectory directory, IOptions<ChorusOptions> options)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async Task ListAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body, OpenAiJson.Writer);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var (id, owner) in All()) Model(json, id, owner);
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    public async Task GetAsync(HttpContext context, string id)
    {
        foreach (var (known, owner) in All())
        {
            if (known != id) continue;
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.Body, OpenAiJson.Writer);
            Model(json, known, owner);
            await json.FlushAsync(context.RequestAborted);
            return;
        }
        await new OpenAiError(StatusCodes.Status404NotFound, $"the model '{id}' does not exist; GET /v1/models lists the models and packs", "invalid_request_error", "model_not_found")
            .WriteAsync(context.Response);
    }

    private List<(string Id, string Owner)> All()
    {
        var all = new List<(string, string)>();
        foreach (var id in directory.Served().Keys.Order(StringComparer.Ordinal)) all.Add((id, "chorus"));
        foreach (var pack in options.Value.Packs) all.Add((pack.Name, "chorus-pack"));
        return all;
    }

    private void Model(Utf8JsonWriter json, string id, string owner)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", "model");
        json.WriteNumber("created", _created);
        json.WriteString("owned_by", owner);
        json.WriteEndObject();
    }
}
