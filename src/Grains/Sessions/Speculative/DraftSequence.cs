using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// A member sequence (or the drafter's) that the speculative loop drives by main-vocabulary token ids: it remembers
/// which tokens after the prompt its KV cache holds, so a round keeps the prefix that still agrees with the committed
/// tokens and rolls back the rest (rejected drafts) in the same decode that appends the new ones.
/// </summary>
internal sealed class DraftSequence(IModelGrain grain, SequenceHandle handle, int promptLength, int contextSize, TokenDistribution afterPrompt)
{
    private readonly List<int> _cached = [];

    public IModelGrain Grain { get; } = grain;
    public SequenceHandle Handle { get; } = handle;

    /// <summary>The distribution after the prompt (from the prefill).</summary>
    public TokenDistribution AfterPrompt { get; } = afterPrompt;

    /// <summary>Tokens the sequence can still take after the committed ones.</summary>
    public int Room(int committed) => contextSize - promptLength - committed;

    /// <summary>
    /// Makes the cache hold <paramref name="committed"/> then <paramref name="extra"/>, re-decoding at least the last
    /// committed token (its row is the distribution after the committed text). Returns that distribution, then the
    /// distribution after each extra token (as wire data; converted where read), and the model's time for the call.
    /// </summary>
    public async Task<(TokenDistribution AfterCommitted, DistributionData?[] AfterExtra, double Milliseconds)> ExtendAsync(
        IReadOnlyList<int> committed, int[] extra, int topK, CancellationToken ct)
    {
        var common = 0;
        while (common < _cached.Count && common < committed.Count && _cached[common] == committed[common]) common++;
        if (committed.Count > 0) common = Math.Min(common, committed.Count - 1);
        var tokens = new int[committed.Count - common + extra.Length];
        for (var i = common; i < committed.Count; i++) tokens[i - common] = committed[i];
        extra.CopyTo(tokens.AsSpan(committed.Count - common));
        var rollback = _cached.Count - common;
        _cached.RemoveRange(common, rollback);
        if (tokens.Length == 0) return (AfterPrompt, [], 0);
        var step = await Grain.Extend(Handle, promptLength + common, tokens, topK, ct);
        _cached.AddRange(tokens);
        var pending = committed.Count - common;
        var after = pending > 0 ? step.Rows[pending - 1]!.ToDistribution() : AfterPrompt;
        return (after, step.Rows[pending..], step.Milliseconds);
    }

    /// <summary>
    /// Drafts on the sequence in one call: decodes the committed tokens it lacks (or, when it lacks none, the
    /// <paramref name="first"/> draft the caller already proposed) and proposes up to <paramref name="count"/> more.
    /// </summary>
    public async Task<SequenceDraft> DraftAsync(IReadOnlyList<int> committed, int? first, int count, bool decodeLast, int topK, bool rows,
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
        _cached.RemoveRange(common, _cached.Count - common);
        var draft = await Grain.Draft(Handle, new DraftRequest(promptLength + common, [.. pending], count, decodeLast, topK, rows, sampling, uniforms), ct);
        // the cache now holds the pending tokens and the proposals the grain decoded
        _cached.AddRange(pending);
        for (var i = 0; _cached.Count < draft.Length - promptLength; i++) _cached.Add(draft.Tokens[i]);
        return draft;
    }

    /// <summary>True when the cache holds <paramref name="tokens"/> (and possibly more after them).</summary>
    public bool Holds(IReadOnlyList<int> tokens) => tokens.Count <= _cached.Count && Common(tokens) == tokens.Count;

    private int Common(IReadOnlyList<int> committed)
    {
        var common = 0;
        while (common < _cached.Count && common < committed.Count && _cached[common] == committed[common]) common++;
        return common;
    }

    /// <summary>Appends one token and returns the distribution after it.</summary>
    public async Task<TokenDistribution> AppendAsync(int token, int topK, CancellationToken ct)
    {
        var step = await Grain.Extend(Handle, promptLength + _cached.Count, [token], topK, ct);
        _cached.Add(token);
        return step.Rows[0]!.ToDistribution();
    }
}
