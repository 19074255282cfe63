namespace Chorus.Contracts;

/// <summary>
/// One model replica, pinned to the silo (and GPU) that holds its weights. Key: the model id, or "id/replica".
/// Serves many sessions at once, one sequence (KV slot) each; steps that arrive together share one decode.
/// </summary>
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>What this model is and where it runs (activates it on a silo that serves it).</summary>
    Task<ModelFacts> Describe();

    /// <summary>Opens a sequence for a session: tokenizes the prompt (with BOS as the model expects), prefills it, returns evidence and the first distribution.</summary>
    Task<SequenceOpened> Open(Guid session, string prompt, int topK, int positionsTopK, CancellationToken cancellationToken = default);

    /// <summary>Appends tokens of this model's vocabulary to a session's sequence and returns the next distribution.</summary>
    Task<SequenceStep> Append(Guid session, int[] tokens, int topK, CancellationToken cancellationToken = default);

    /// <summary>Brings a session's sequence in line with the shared text: keeps the common token prefix, rolls back the rest, decodes the new tail.</summary>
    Task<SequenceStep> SyncText(Guid session, string text, int topK, CancellationToken cancellationToken = default);

    /// <summary>Closes a session's sequence and frees its KV cache (closing twice is harmless).</summary>
    Task Close(Guid session);

    /// <summary>Token ids of a text (and the text of each token).</summary>
    Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial);

    /// <summary>Next-token distribution after a context (no session; the sequence is released at once).</summary>
    Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default);

    /// <summary>The tokenizer as a vocabulary-only GGUF.</summary>
    Task<TokenizerExport> ExportTokenizer();

    /// <summary>The token-embedding matrix.</summary>
    Task<EmbeddingExport> ExportEmbeddings();

    /// <summary>Slots in use, for monitoring and tests.</summary>
    Task<SlotUsage> Slots();
}
