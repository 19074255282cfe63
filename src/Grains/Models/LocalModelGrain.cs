using System.Runtime.CompilerServices;
using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// <see cref="IModelGrain"/> for a model active in the caller's own silo: each verb calls the model's endpoint on the caller's
/// thread — no Orleans message either way, the caller's cancellation token as it is. Once the activation has gone, calls take
/// the grain reference (so they fail, or activate the model anew, exactly as a grain call would). Its identity is the model
/// grain's, so code that keys members by <c>GetPrimaryKeyString()</c> sees no difference.
/// </summary>
internal sealed class LocalModelGrain(LocalModel model, IModelGrain grain, LocalModels silo) : IModelGrain, IGrainBase
{
    public IGrainContext GrainContext => model.Activation;

    public Task<ModelFacts> Describe() => Call(static e => e.Describe(), g => g.Describe());

    public async IAsyncEnumerable<AdmissionEvent> Admit(Guid owner, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // entered when enumerated, not when called: a stream nobody reads holds nothing
        if (!model.TryEnter())
        {
            await foreach (var update in grain.Admit(owner, count, cancellationToken)) yield return update;
            yield break;
        }
        try
        {
            silo.CountDirectCall(model.Endpoint.Key);
            await foreach (var update in model.Endpoint.Admit(owner, count, cancellationToken)) yield return update;
        }
        finally
        {
            model.Leave();
        }
    }

    public Task<SequenceEditReply> Edit(SequenceHandle sequence, SequenceEditRequest request, CancellationToken cancellationToken = default) =>
        Call(e => e.Edit(sequence, request, cancellationToken), g => g.Edit(sequence, request, cancellationToken));

    public Task<SequenceHandle> Fork(SequenceHandle sequence) => Call(e => e.Fork(sequence), g => g.Fork(sequence));

    public Task Close(SequenceHandle sequence) => Call(async e => { await e.Close(sequence); return true; }, async g => { await g.Close(sequence); return true; });

    public Task<int> ReleaseOwner(Guid owner) => Call(e => e.ReleaseOwner(owner), g => g.ReleaseOwner(owner));

    public Task<string> FormatChat(ChatTurn[] messages) => Call(e => e.FormatChat(messages), g => g.FormatChat(messages));

    public Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial) => Call(e => e.Tokenize(text, addSpecial), g => g.Tokenize(text, addSpecial));

    public Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default) =>
        Call(e => e.StepLogits(context, topK, cancellationToken), g => g.StepLogits(context, topK, cancellationToken));

    public Task<TokenizerExport> ExportTokenizer() => Call(static e => e.ExportTokenizer(), g => g.ExportTokenizer());

    public Task<EmbeddingExport> ExportEmbeddings() => Call(static e => e.ExportEmbeddings(), g => g.ExportEmbeddings());

    public Task<SlotUsage> Slots() => Call(static e => e.Slots(), g => g.Slots());

    private Task<T> Call<T>(Func<ModelEndpoint, Task<T>> direct, Func<IModelGrain, Task<T>> viaGrain) =>
        model.TryEnter() ? Direct(direct) : viaGrain(grain);

    // async, so that an error thrown before the endpoint returns a task reaches the caller as a faulted task, as from a grain
    private async Task<T> Direct<T>(Func<ModelEndpoint, Task<T>> direct)
    {
        try
        {
            silo.CountDirectCall(model.Endpoint.Key);
            return await direct(model.Endpoint);
        }
        finally
        {
            model.Leave();
        }
    }
}
