namespace Chorus.Contracts;

/// <summary>
/// One model replica, pinned to the silo (and GPU) that holds its weights. Key: the model id, or "id/replica".
/// Serves many sessions at once. A session is admitted to slots (KV sequences) first — waiting in the model's FIFO
/// queue when all are taken — and then works on each sequence through its <see cref="SequenceHandle"/>; edits of all
/// sessions that arrive together share one decode. The session (the owner) frees what it holds. A session in the model's
/// own silo gets this interface without Orleans in between (Chorus.Grains' ModelGrains.Get): the verbs, errors and
/// cancellation behave the same either way.
/// </summary>
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>What this model is and where it runs (activates it on a silo that serves it).</summary>
    Task<ModelFacts> Describe();

    /// <summary>
    /// Grants <paramref name="count"/> sequences to <paramref name="owner"/> at once, waiting in the model's bounded FIFO
    /// queue while they are not free (queue updates are streamed). From the moment of the grant the owner holds them.
    /// ResourceExhausted when the queue is full or the wait runs out; InvalidArgument when the model has fewer slots.
    /// </summary>
    IAsyncEnumerable<AdmissionEvent> Admit(Guid owner, int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a sequence hold exactly the prompt (tokenized with BOS as the model expects): returns its tokens, the
    /// first distribution and, with <paramref name="evidence"/>, each prompt token's log-probability (and with
    /// <paramref name="positionsTopK"/> &gt; 0 the top-k that predicted it). Without evidence the log-probabilities are
    /// NaN and llama.cpp computes the output layer for the last prompt row only: several times faster on small models
    /// (bench/README.md, "Parity with llama.cpp"), so only methods that read the evidence ask for it.
    /// </summary>
    Task<SequenceOpened> Prefill(SequenceHandle sequence, string prompt, int topK, int positionsTopK, bool evidence, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="Prefill"/> for a prompt made by <see cref="FormatChat"/>: the template's special-token markers are parsed
    /// as the special tokens they are (as llama.cpp's server does), here and when the sequence is later synced.
    /// </summary>
    Task<SequenceOpened> PrefillChat(SequenceHandle sequence, string formattedChat, int topK, int positionsTopK, bool evidence, CancellationToken cancellationToken = default);

    /// <summary>Appends tokens of this model's vocabulary to a sequence and returns the next distribution.</summary>
    Task<SequenceStep> Append(SequenceHandle sequence, int[] tokens, int topK, CancellationToken cancellationToken = default);

    /// <summary>Brings a sequence in line with the shared text: keeps the common token prefix, rolls back the rest, decodes the new tail.</summary>
    Task<SequenceStep> SyncText(SequenceHandle sequence, string text, int topK, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rolls a sequence back to its first <paramref name="keep"/> tokens, appends tokens of this model's vocabulary and
    /// returns the distribution after each of them — one decode (speculative drafting and verification).
    /// </summary>
    Task<SequenceRows> Extend(SequenceHandle sequence, int keep, int[] tokens, int topK, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drafts tokens on a sequence (speculative ensembling): rolls back to <see cref="DraftRequest.Keep"/>, decodes the
    /// request's tokens and proposes <see cref="DraftRequest.Count"/> more, one decode each, in one call.
    /// </summary>
    Task<SequenceDraft> Draft(SequenceHandle sequence, DraftRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Brings a sequence in line with <paramref name="text"/> (as <see cref="SyncText"/>) and returns, for each prefix length
    /// of it, the distribution after that prefix — null where this model's tokenization of the prefix is not a prefix of
    /// the whole text's (speculative verification across vocabularies).
    /// </summary>
    Task<SequenceRows> SyncDraft(SequenceHandle sequence, string text, int[] prefixLengths, int topK, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="SyncText"/> by difference: the new text is the first <paramref name="keepChars"/> chars of the text the
    /// sequence covers now, then <paramref name="tail"/> — so a long generation does not resend its whole text each step.
    /// </summary>
    Task<SequenceStep> SyncTail(SequenceHandle sequence, int keepChars, string tail, int topK, CancellationToken cancellationToken = default);

    /// <summary>A new sequence of the same owner holding a copy of this one's cache (ResourceExhausted when no slot is free).</summary>
    Task<SequenceHandle> Fork(SequenceHandle sequence);

    /// <summary>Frees one sequence (freeing twice is harmless).</summary>
    Task Close(SequenceHandle sequence);

    /// <summary>Frees every sequence the owner holds, withdraws its waiting requests, and refuses its later ones: the owner has ended.</summary>
    Task<int> ReleaseOwner(Guid owner);

    /// <summary>A conversation as this model's chat template formats it (the plain format when it has none), ending where the assistant's reply begins.</summary>
    Task<string> FormatChat(ChatTurn[] messages);

    /// <summary>Token ids of a text (and the text of each token).</summary>
    Task<(int[] Ids, string[] Pieces)> Tokenize(string text, bool addSpecial);

    /// <summary>Next-token distribution after a context (a sequence is admitted for it and freed at once).</summary>
    Task<(DistributionData Next, int ContextTokens)> StepLogits(string context, int topK, CancellationToken cancellationToken = default);

    /// <summary>The tokenizer as a vocabulary-only GGUF.</summary>
    Task<TokenizerExport> ExportTokenizer();

    /// <summary>The token-embedding matrix.</summary>
    Task<EmbeddingExport> ExportEmbeddings();

    /// <summary>Slots in use, the queue, and what the safety-net sweep freed — for monitoring and tests.</summary>
    Task<SlotUsage> Slots();
}
