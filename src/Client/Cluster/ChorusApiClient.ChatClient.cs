using System.Runtime.CompilerServices;
using Chorus.Api;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Chorus.Client.Cluster;

/// <summary>
/// The typed client as a <see cref="IChatClient"/> (Microsoft.Extensions.AI): a .NET app uses a Chorus pack like any chat
/// client. <see cref="ChatOptions.ModelId"/> (or <see cref="DefaultChatModel"/>) names a pack or a served model; each member
/// formats the conversation with its own chat template. <see cref="ChatOptions.AdditionalProperties"/> may carry
/// <c>chorus.members</c> (model ids: an ad-hoc pack), <c>chorus.method</c>, <c>chorus.params</c> and <c>repetition_penalty</c>.
/// Temperature unset = greedy; seed unset = a fresh seed per request; presence and frequency penalties map to the request's.
/// </summary>
public sealed partial class ChorusApiClient : IChatClient
{
    private HashSet<string>? _servedModels;

    /// <summary>The pack or model a chat uses when <see cref="ChatOptions.ModelId"/> is not set.</summary>
    public string? DefaultChatModel { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        var response = new ChatResponse();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
            response.ResponseId ??= update.ResponseId;
            response.ModelId ??= update.ModelId;
            response.CreatedAt ??= update.CreatedAt;
            response.FinishReason = update.FinishReason ?? response.FinishReason;
            foreach (var usage in update.Contents.OfType<UsageContent>()) response.Usage = usage.Details;
        }
        response.Messages.Add(new AiChatMessage(ChatRole.Assistant, text.ToString()));
        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var model = options?.ModelId ?? DefaultChatModel
            ?? throw new ArgumentException("name a pack or model: set ChatOptions.ModelId or ChorusApiClient.DefaultChatModel", nameof(options));
        var request = await ChatRequestAsync(model, messages, options, cancellationToken);
        string? responseId = null;
        var created = DateTimeOffset.UtcNow;
        await foreach (var e in GenerateAsync(request, cancellationToken))
        {
            if (e.Started is { } started) responseId = started.Session;
            else if (e.Token is { Text.Length: > 0 } token)
                yield return new ChatResponseUpdate(ChatRole.Assistant, token.Text) { ResponseId = responseId, MessageId = responseId, ModelId = model, CreatedAt = created };
            else if (e.Finished is { } finished)
            {
                var usage = new UsageDetails
                {
                    InputTokenCount = finished.Usage?.PromptTokens, OutputTokenCount = finished.Usage?.CompletionTokens,
                    TotalTokenCount = finished.Usage?.PromptTokens + finished.Usage?.CompletionTokens,
                };
                yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)])
                {
                    ResponseId = responseId, MessageId = responseId, ModelId = model, CreatedAt = created,
                    FinishReason = finished.Reason is "eog" or "stop" ? ChatFinishReason.Stop : ChatFinishReason.Length,
                };
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return new ChatClientMetadata("chorus", Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) ? uri : null, DefaultChatModel);
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    private async Task<GenerateRequest> ChatRequestAsync(string model, IEnumerable<AiChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Members = new Members(),
            Method = options?.AdditionalProperties?.TryGetValue("chorus.method", out string? method) == true ? method ?? "" : "",
            Sampling = new Sampling
            {
                Temperature = options?.Temperature ?? 0, TopK = options?.TopK ?? 0, TopP = options?.TopP ?? 0,
                PresencePenalty = options?.PresencePenalty ?? 0, FrequencyPenalty = options?.FrequencyPenalty ?? 0,
            },
            Limits = new Limits { MaxTokens = options?.MaxOutputTokens ?? 0 },
        };
        // no seed given: the server draws a fresh one per request, as for every front end
        if (options?.Seed is { } seed) request.Sampling.Seed = unchecked((ulong)seed);
        if (options?.AdditionalProperties?.TryGetValue("repetition_penalty", out float repetition) == true) request.Sampling.RepetitionPenalty = repetition;
        if (options?.StopSequences is { } stops) request.Limits.Stop.AddRange(stops);
        if (options?.AdditionalProperties?.TryGetValue("chorus.params", out IDictionary<string, string>? parameters) == true && parameters is not null)
            request.Params.Add(parameters);
        if (options?.AdditionalProperties?.TryGetValue("chorus.members", out IEnumerable<string>? members) == true && members is not null)
            request.Members.Models.AddRange(members);
        else if ((await ServedModelsAsync(ct)).Contains(model))
            request.Members.Models.Add(model);
        else
            request.Members.Pack = model;
        if (!string.IsNullOrEmpty(options?.Instructions)) request.Messages.Add(new Api.ChatMessage { Role = "system", Content = options.Instructions });
        foreach (var m in messages) request.Messages.Add(new Api.ChatMessage { Role = m.Role.Value, Content = m.Text });
        return request;
    }

    // a name that is not a served model is taken for a pack (the server says NotFound when it is neither)
    private async Task<HashSet<string>> ServedModelsAsync(CancellationToken ct) =>
        _servedModels ??= [.. (await ListModelsAsync(ct)).Select(m => m.Id)];
}
