using System.Runtime.CompilerServices;
using Chorus.Api;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Chorus.Client.Cluster;

/// <summary>
/// A typed client for a Chorus cluster's gRPC API (any silo's endpoint): fused generation as an async stream,
/// scoring, the model list, tokenization, raw step logits and the standard health check.
/// </summary>
public sealed partial class ChorusApiClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Api.Chorus.ChorusClient _api;
    private readonly Health.HealthClient _health;

    /// <summary>A client over <paramref name="channel"/>; with <paramref name="apiKey"/> every call carries <c>authorization: Bearer &lt;key&gt;</c>.</summary>
    public ChorusApiClient(GrpcChannel channel, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        // metadata added by an interceptor travels over plaintext h2c too, where call credentials are refused
        var invoker = string.IsNullOrWhiteSpace(apiKey)
            ? channel.CreateCallInvoker()
            : channel.Intercept(metadata =>
            {
                metadata.Add("authorization", $"Bearer {apiKey.Trim()}");
                return metadata;
            });
        _api = new Api.Chorus.ChorusClient(invoker);
        _health = new Health.HealthClient(invoker);
    }

    /// <summary>
    /// A client for an endpoint such as <c>http://127.0.0.1:5080</c> (plain HTTP/2 is h2c) or <c>https://chorus:5080</c>;
    /// <paramref name="httpHandler"/> can, for example, trust a private certificate authority.
    /// </summary>
    public static ChorusApiClient ForAddress(string endpoint, string? apiKey = null, HttpMessageHandler? httpHandler = null)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"endpoint '{endpoint}' is not an http(s) URL like http://127.0.0.1:5080");
        var options = new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024, HttpHandler = httpHandler, DisposeHttpClient = httpHandler is not null,
            ServiceConfig = new ServiceConfig { MethodConfigs = { UnavailableRetry } },
        };
        return new ChorusApiClient(GrpcChannel.ForAddress(uri, options), apiKey);
    }

    /// <summary>
    /// The retry policy of <see cref="ForAddress"/>'s channel: a call that fails with Unavailable (a silo restarting or
    /// draining, no silo serving a member yet) is retried up to 4 attempts in all, after about 0.5, 1 and 2 seconds
    /// (randomised, as gRPC's retry design says). gRPC commits a call once the server has answered with headers — for
    /// Generate, its first event — so a generation that has started streaming is never run twice.
    /// </summary>
    public static MethodConfig UnavailableRetry { get; } = new()
    {
        Names = { MethodName.Default },
        RetryPolicy = new RetryPolicy
        {
            MaxAttempts = 4,
            InitialBackoff = TimeSpan.FromSeconds(0.5),
            MaxBackoff = TimeSpan.FromSeconds(4),
            BackoffMultiplier = 2,
            RetryableStatusCodes = { StatusCode.Unavailable },
        },
    };

    /// <summary>The endpoint this client talks to.</summary>
    public string Endpoint => _channel.Target;

    /// <summary>The generated client, for calls this wrapper does not cover.</summary>
    public Api.Chorus.ChorusClient Raw => _api;

    /// <summary>Streams a fused generation: one Started, then Token events, then Finished.</summary>
    public async IAsyncEnumerable<GenerateEvent> GenerateAsync(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _api.Generate(request, cancellationToken: cancellationToken);
        await foreach (var e in call.ResponseStream.ReadAllAsync(cancellationToken))
            yield return e;
    }

    /// <summary>Per-member and fused perplexity of a text.</summary>
    public async Task<ScoreReply> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken = default) =>
        await _api.ScoreAsync(request, cancellationToken: cancellationToken);

    /// <summary>The models the cluster's live silos serve.</summary>
    public async Task<IReadOnlyList<ModelDescription>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        (await _api.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellationToken)).Models;

    /// <summary>The models (one entry each) and every replica on its silo (the per-silo view).</summary>
    public async Task<ListModelsReply> ListModelsReplyAsync(CancellationToken cancellationToken = default) =>
        await _api.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellationToken);

    /// <summary>Token ids and pieces of a text in one model's vocabulary.</summary>
    public async Task<TokenizeReply> TokenizeAsync(string model, string text, bool addSpecial = false, CancellationToken cancellationToken = default) =>
        await _api.TokenizeAsync(new TokenizeRequest { Model = model, Text = text, AddSpecial = addSpecial }, cancellationToken: cancellationToken);

    /// <summary>Next-token logits of one model after a context (top-k log-probs, or full logits when topK is 0).</summary>
    public async Task<StepLogitsReply> StepLogitsAsync(string model, string context, int topK, CancellationToken cancellationToken = default) =>
        await _api.StepLogitsAsync(new StepLogitsRequest { Model = model, Context = context, TopK = topK }, cancellationToken: cancellationToken);

    /// <summary>The standard gRPC health status of the silo behind the endpoint.</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(CancellationToken cancellationToken = default) =>
        (await _health.CheckAsync(new HealthCheckRequest(), cancellationToken: cancellationToken)).Status;

    /// <summary>True when the silo answers its health check with SERVING; false while it cannot be reached.</summary>
    public async Task<bool> IsServingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await CheckHealthAsync(cancellationToken) == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
        {
            return false;
        }
    }

    public void Dispose() => _channel.Dispose();
}
