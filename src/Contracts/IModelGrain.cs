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
    /// Edits a sequence in one call: keeps a prefix of it (tokens, or chars of the text it covers), appends token ids or a
    /// text (special tokens parsed or not), returns the next distribution or the rows asked for (every appended token's, or
    /// each text prefix's), with a prefill the prompt evidence, and optionally drafts tokens after it (one decode each). Every
    /// edit of a session — prefill, token step, text sync, verification, draft — is this verb. A malformed request is
    /// InvalidArgument naming the field; a sequence that does not hold what it should keep, too; a context that fills is
    /// OutOfRange (a prompt that cannot fit at all, InvalidArgument).
    /// </summary>
    Task<SequenceEditReply> Edit(SequenceHandle sequence, SequenceEditRequest request, CancellationToken cancellationToken = default);

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
