using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// One member's KV sequence as the session owns it (LLamaSharp's <c>Conversation</c> is the model): the handle its
/// model granted, what the cache covers — the prompt's tokens, then the fused-vocabulary tokens appended by id, or for a
/// member of another vocabulary the characters of the shared text synced so far — and every edit a session makes on
/// it. Each mode edits through it: plain steps append a token or sync the text's tail; speculative rounds roll back to
/// the prefix that still agrees with the committed tokens and extend, draft or verify in one decode. Closing frees the
/// slot; the owner-wide release when the session ends (and the model's idle sweep) remain the safety net. Every edit is
/// the model's one verb (<see cref="IModelGrain.Edit"/>), in the shape each of these methods names.
/// </summary>
internal sealed class MemberSequence(IModelGrain grain, SequenceHandle handle, int contextSize)
{
    private readonly List<int> _tokens = []; // after the prompt, in the fused vocabulary
    private bool _chat; // the prompt was a conversation: its syncs parse special-token markers as its prefill did

    public IModelGrain Grain { get; } = grain;
    public SequenceHandle Handle { get; private set; } = handle;

    /// <summary>Tokens of the prompt in the member's own vocabulary (after <see cref="PrefillAsync"/>).</summary>
    public int PromptTokens { get; private set; }

    /// <summary>Characters of the text (its own prompt, then the shared completion) the cache covers, for text syncs.</summary>
    public int CoveredChars { get; private set; }

    /// <summary>The distribution after the prompt (from the prefill).</summary>
    public TokenDistribution? AfterPrompt { get; private set; }

    /// <summary>False once closed (the member left the generation).</summary>
    public bool Open { get; private set; } = true;

    /// <summary>Tokens the sequence can still take after <paramref name="committed"/> tokens past the prompt.</summary>
    public int Room(int committed) => contextSize - PromptTokens - committed;

    /// <summary>
    /// Makes the sequence hold exactly <paramref name="prompt"/> — a conversation in the member's chat template when
    /// <paramref name="chat"/> (its markers parsed as special tokens, here and in later syncs).
    /// </summary>
    public async Task<SequenceEditReply> PrefillAsync(string prompt, bool chat, int topK, int positionsTopK, bool evidence, CancellationToken ct)
    {
        SequenceEditReply opened;
        using (ChorusTelemetry.PrefillCall()) // the one call per member that keeps its trace span
            opened = await Grain.Edit(Handle, SequenceEditRequest.Prefill(prompt, topK, evidence, positionsTopK, parseSpecial: chat), ct);
        _chat = chat;
        PromptTokens = opened.Decoded.Length;
        CoveredChars = prompt.Length;
        AfterPrompt = opened.Next!.ToDistribution();
        _tokens.Clear();
        return opened;
    }

    /// <summary>Appends one token of the fused vocabulary (a member that shares it) and returns the next distribution.</summary>
    public async Task<SequenceEditReply> AppendAsync(int token, int topK, CancellationToken ct)
    {
        var step = await Grain.Edit(Handle, SequenceEditRequest.Append([token], topK), ct);
        _tokens.Add(token);
        return step;
    }

    /// <summary>Brings a member of another vocabulary to the text it covers plus <paramref name="tail"/>.</summary>
    public async Task<SequenceEditReply> SyncTailAsync(string tail, int topK, CancellationToken ct)
    {
        var step = await Grain.Edit(Handle, SequenceEditRequest.Sync(CoveredChars, tail, topK, parseSpecial: _chat), ct);
        CoveredChars += tail.Length;
        return step;
    }

    /// <summary>
    /// Brings a member of another vocabulary to <paramref name="text"/> and returns the distribution after each of its
    /// prefixes (speculative verification across vocabularies).
    /// </summary>
    public async Task<SequenceEditReply> SyncDraftAsync(string text, int[] prefixLengths, int topK, CancellationToken ct)
    {
        var rows = await Grain.Edit(Handle, SequenceEditRequest.VerifyText(text, prefixLengths, topK, parseSpecial: _chat), ct);
        CoveredChars = text.Length;
        return rows;
    }

    /// <summary>
    /// Makes the cache hold <paramref name="committed"/> then <paramref name="extra"/>, re-decoding at least the last
    /// committed token (its row is the distribution after the committed text). Returns that distribution, then the
    /// distribution after each extra token (as wire data; converted where read), and the model's time for the call.
    /// </summary>
    public async Task<(TokenDistribution AfterCommitted, DistributionData?[] AfterExtra, double Milliseconds)> ExtendAsync(
        IReadOnlyList<int> committed, int[] extra, int topK, CancellationToken ct)
    {
        var common = Common(committed);
        if (committed.Count > 0) common = Math.Min(common, committed.Count - 1);
        var tokens = new int[committed.Count - common + extra.Length];
        for (var i = common; i < committed.Count; i++) tokens[i - common] = committed[i];
        extra.CopyTo(tokens.AsSpan(committed.Count - common));
        _tokens.RemoveRange(common, _tokens.Count - common);
        if (tokens.Length == 0) return (AfterPrompt!, [], 0);
        var step = await Grain.Edit(Handle, SequenceEditRequest.Verify(PromptTokens + common, tokens, topK), ct);
        _tokens.AddRange(tokens);
        var pending = committed.Count - common;
        var after = pending > 0 ? step.Rows[pending - 1]!.ToDistribution() : AfterPrompt!;
        return (after, step.Rows[pending..], step.Milliseconds);
    }

    /// <summary>
    /// Drafts on the sequence in one call: decodes the committed tokens it lacks (or, when it lacks none, the
    /// <paramref name="first"/> draft the caller already proposed) and proposes up to <paramref name="count"/> more.
    /// </summary>
    public async Task<SequenceEditReply> DraftAsync(IReadOnlyList<int> committed, int? first, int count, bool decodeLast, int topK, bool rows,
        SamplingSpec? sampling, double[]? uniforms, CancellationToken ct)
    {
        var common = Common(committed);
        var pending = new List<int>(committed.Count - common + 1);
        if (common == committed.Count && first is { } proposed) pending.Add(proposed);
        else
        {
            if (committed.Count > 0) common = Math.Min(common, committed.Count - 1);
            for (var i = common; i < committed.Count; i++) pending.Add(committed[i]);
        }
        _tokens.RemoveRange(common, _tokens.Count - common);
        var draft = await Grain.Edit(Handle, SequenceEditRequest.Drafting(PromptTokens + common, [.. pending], new EditDraft(count, decodeLast, rows, sampling, uniforms), topK), ct);
        // the cache now holds the pending tokens and the proposals the grain decoded
        _tokens.AddRange(pending);
        for (var i = 0; _tokens.Count < draft.Length - PromptTokens; i++) _tokens.Add(draft.Drafted[i]);
        return draft;
    }

    /// <summary>True when the cache holds <paramref name="tokens"/> (and possibly more after them).</summary>
    public bool Holds(IReadOnlyList<int> tokens) => tokens.Count <= _tokens.Count && Common(tokens) == tokens.Count;

    /// <summary>
    /// Byte fusion forks and closes a member's sequences as its branches come and go: the branch that lives on becomes
    /// the member's sequence (scored alone afterwards on it).
    /// </summary>
    public void Adopt(SequenceHandle live) => Handle = live;

    /// <summary>Frees the slot now (freeing twice is harmless).</summary>
    public async Task CloseAsync()
    {
        if (!Open) return;
        Open = false;
        await Grain.Close(Handle);
    }

    private int Common(IReadOnlyList<int> committed)
    {
        var common = 0;
        while (common < _tokens.Count && common < committed.Count && _tokens[common] == committed[common]) common++;
        return common;
    }
}
