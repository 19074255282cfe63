namespace Chorus.Contracts;

/// <summary>
/// The one edit of a model sequence (<see cref="IModelGrain.Edit"/>): what to keep, what to append, what to return, and
/// optionally tokens to draft after it. Every shape a session needs is one of these: a prefill (keep 0 tokens, append the
/// prompt's text), a token step (append tokens), a text sync (keep chars of the covered text, append a tail), a
/// verification (keep n tokens, append k, return every row; or sync a text and return the row after each prefix of it)
/// and a draft. The factories below build each; the model checks the combination and names the field at fault.
/// </summary>
/// <remarks>
/// Keep: <see cref="KeepTokens"/> or <see cref="KeepChars"/>, or neither (keep all). Append: <see cref="Tokens"/> (ids of
/// the model's vocabulary; the text the sequence covers becomes unknown) or <see cref="Text"/> — after
/// <see cref="KeepTokens"/> 0 the sequence's whole content (BOS added as the model expects), after kept chars the tail of
/// the text it covers (re-tokenized from a word a few tokens back; the common token prefix stays in the cache).
/// </remarks>
[GenerateSerializer, Immutable, Alias("chorus.SequenceEditRequest")]
public sealed record SequenceEditRequest
{
    /// <summary>Tokens of the sequence to keep (the rest is rolled back); null = all of them.</summary>
    [Id(0)] public int? KeepTokens { get; init; }

    /// <summary>Chars of the text the sequence covers to keep before <see cref="Text"/>; null = all of them.</summary>
    [Id(1)] public int? KeepChars { get; init; }

    /// <summary>Token ids to append (at least one).</summary>
    [Id(2)] public int[]? Tokens { get; init; }

    /// <summary>Text to append (or, after <see cref="KeepTokens"/> 0, the sequence's whole content).</summary>
    [Id(3)] public string? Text { get; init; }

    /// <summary>
    /// Special-token markers in <see cref="Text"/> become the special tokens they name (a prompt formatted by a chat template, as
    /// llama.cpp's server reads it); generated text is not parsed. Set by the prefill for the sequence's life: its later syncs
    /// re-tokenize text the prefill covered, so they must say the same.
    /// </summary>
    [Id(4)] public bool ParseSpecial { get; init; }

    /// <summary>Top-k log-probs per returned distribution (0 = full logits).</summary>
    [Id(5)] public int TopK { get; init; }

    /// <summary>Return the distribution after every appended token (a verification), not only the last.</summary>
    [Id(6)] public bool AllRows { get; init; }

    /// <summary>
    /// Char lengths of prefixes of the text the sequence covers after the edit, ascending, the first the text already agreed on:
    /// return, per prefix, the distribution after it — null where this model's tokenization of the prefix is not a prefix of
    /// the whole text's (speculative verification across vocabularies).
    /// </summary>
    [Id(7)] public int[]? PrefixLengths { get; init; }

    /// <summary>
    /// With a prefill: each prompt token's log-probability (<see cref="SequenceEditReply.Evidence"/>). Without it the
    /// log-probabilities are NaN and llama.cpp computes the output layer for the last row only — several times faster on small
    /// models (bench/README.md, "Parity with llama.cpp"), so only methods that read the evidence ask for it.
    /// </summary>
    [Id(8)] public bool Evidence { get; init; }

    /// <summary>With <see cref="Evidence"/>: also the top-k distribution that predicted each prompt token (0 = none).</summary>
    [Id(9)] public int PositionsTopK { get; init; }

    /// <summary>After the appended tokens, propose tokens one decode each, in the same call (speculative drafting).</summary>
    [Id(10)] public EditDraft? Draft { get; init; }

    /// <summary>Makes the sequence hold exactly <paramref name="prompt"/> (BOS added as the model expects).</summary>
    public static SequenceEditRequest Prefill(string prompt, int topK, bool evidence = false, int positionsTopK = 0, bool parseSpecial = false) =>
        new() { KeepTokens = 0, Text = prompt, TopK = topK, Evidence = evidence, PositionsTopK = positionsTopK, ParseSpecial = parseSpecial };

    /// <summary>Appends token ids and returns the distribution after them.</summary>
    public static SequenceEditRequest Append(int[] tokens, int topK) => new() { Tokens = tokens, TopK = topK };

    /// <summary>Makes the sequence cover the first <paramref name="keepChars"/> chars of its text, then <paramref name="tail"/>.</summary>
    public static SequenceEditRequest Sync(int keepChars, string tail, int topK, bool parseSpecial = false) =>
        new() { KeepChars = keepChars, Text = tail, TopK = topK, ParseSpecial = parseSpecial };

    /// <summary>Keeps <paramref name="keepTokens"/> tokens, appends <paramref name="tokens"/> and returns the row after each (one decode).</summary>
    public static SequenceEditRequest Verify(int keepTokens, int[] tokens, int topK) =>
        new() { KeepTokens = keepTokens, Tokens = tokens, TopK = topK, AllRows = true };

    /// <summary>Makes the sequence cover <paramref name="text"/> and returns the row after each of its prefixes.</summary>
    public static SequenceEditRequest VerifyText(string text, int[] prefixLengths, int topK, bool parseSpecial = false) =>
        new() { KeepChars = 0, Text = text, PrefixLengths = prefixLengths, TopK = topK, ParseSpecial = parseSpecial };

    /// <summary>Keeps <paramref name="keepTokens"/> tokens, appends <paramref name="tokens"/>, then drafts as <paramref name="draft"/> says.</summary>
    public static SequenceEditRequest Drafting(int keepTokens, int[] tokens, EditDraft draft, int topK) =>
        new() { KeepTokens = keepTokens, Tokens = tokens, TopK = topK, Draft = draft };
}

/// <summary>
/// Tokens to draft after an edit, inside the model's silo, so a round costs one call instead of one per drafted token: the
/// arg-max, or (with <see cref="Sampling"/>) a draw with the given uniform numbers from the distribution the session's
/// sampler would draw from.
/// </summary>
/// <param name="Count">Tokens to propose (0 up to the sequence's context).</param>
/// <param name="DecodeLast">Also decode the last proposal (its row is then returned too).</param>
/// <param name="ReturnRows">Return the distribution after the appended tokens, then after each proposal decoded.</param>
/// <param name="Sampling">The session's sampler settings; null or greedy settings propose the arg-max.</param>
/// <param name="Uniforms">One uniform number in [0, 1) per proposal, for sampled drafts.</param>
[GenerateSerializer, Immutable, Alias("chorus.EditDraft")]
public sealed record EditDraft(
    [property: Id(0)] int Count,
    [property: Id(1)] bool DecodeLast,
    [property: Id(2)] bool ReturnRows,
    [property: Id(3)] SamplingSpec? Sampling = null,
    [property: Id(4)] double[]? Uniforms = null);
