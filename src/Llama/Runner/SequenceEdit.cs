using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>
/// The one operation on a sequence: keep its first <see cref="Keep"/> tokens (the rest is rolled back in the KV cache),
/// append <see cref="Tokens"/>, and return the distribution after the last of them. Prefill, single-token steps,
/// text syncs and (later) multi-token verification are all edits, so edits of many sequences share one decode.
/// </summary>
/// <param name="Sequence">The sequence to edit.</param>
/// <param name="Keep">Tokens of the sequence to keep (≤ its length).</param>
/// <param name="Tokens">Tokens to append after them (at least one).</param>
/// <param name="Request">What to return for the distribution after the last token.</param>
public sealed record SequenceEdit(RunnerSequence Sequence, int Keep, int[] Tokens, DistributionRequest Request)
{
    /// <summary>Also return log p(token_i | everything before it) for every appended token after the first (prompt evidence).</summary>
    public bool TokenLogProbs { get; init; }

    /// <summary>With <see cref="TokenLogProbs"/>, also the top-k distribution that predicted each appended token (0 = none).</summary>
    public int PositionsTopK { get; init; }

    /// <summary>
    /// Return the distribution (as <see cref="Request"/> asks) after every appended token, not only the last: the rows a
    /// speculative verification reads (append k drafted tokens, read k rows) in one decode.
    /// </summary>
    public bool AllRows { get; init; }

    /// <summary>An edit that appends to the end of the sequence.</summary>
    public static SequenceEdit Append(RunnerSequence sequence, int[] tokens, DistributionRequest request) =>
        new(sequence, sequence.Length, tokens, request);
}

/// <summary>What one <see cref="SequenceEdit"/> produced.</summary>
/// <param name="Next">Distribution of the token after the edit's last token.</param>
/// <param name="TokenLogProbs">With <see cref="SequenceEdit.TokenLogProbs"/>: entry i is log p(Tokens[i] | before); entry 0 is NaN.</param>
/// <param name="Positions">With <see cref="SequenceEdit.PositionsTopK"/>: entry i is the top-k distribution that predicted Tokens[i]; entry 0 is null.</param>
public sealed record EditResult(TokenDistribution Next, float[]? TokenLogProbs, TokenDistribution?[]? Positions)
{
    /// <summary>With <see cref="SequenceEdit.AllRows"/>: entry i is the distribution after Tokens[i] (the last entry is <see cref="Next"/>).</summary>
    public TokenDistribution[]? Rows { get; init; }

    /// <summary>Time inside <c>llama_decode</c> for the decode(s) this edit was part of (shared with the edits batched with it).</summary>
    public double DecodeMilliseconds { get; init; }

    /// <summary>Time spent reading rows after the decode(s): logits copies, log-sum-exp, top-k (all edits of the batch).</summary>
    public double ReadMilliseconds { get; init; }

    /// <summary>Time the edit waited before its decode began (set by whoever schedules it; 0 when applied directly).</summary>
    public double QueueMilliseconds { get; init; }
}
