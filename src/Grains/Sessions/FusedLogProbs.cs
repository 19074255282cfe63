using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Log-probabilities of a fused step for the client (OpenAI's <c>logprobs</c>/<c>top_logprobs</c>): the chosen token's and
/// the most likely tokens', under the fused distribution before temperature and truncation. Only when asked for.
/// </summary>
internal sealed class FusedLogProbs(LlamaVocabulary vocabulary, int top)
{
    /// <summary>OpenAI's ceiling for <c>top_logprobs</c>.</summary>
    public const int MaxTop = 20;

    private readonly int[] _ids = new int[Math.Clamp(top, 0, MaxTop)];
    private readonly float[] _scratch = new float[Math.Clamp(top, 0, MaxTop)];

    public (TokenLogProb Chosen, TokenLogProb[]? Top) Of(FusedStep fused, int token)
    {
        var chosen = Entry(token, fused.LogProbs[token]);
        if (_ids.Length == 0) return (chosen, null);
        var n = TopKSelector.Select(fused.LogProbs, _ids, _scratch);
        var entries = new TokenLogProb[n];
        for (var i = 0; i < n; i++) entries[i] = Entry(_ids[i], fused.LogProbs[_ids[i]]);
        return (chosen, entries);
    }

    private TokenLogProb Entry(int token, float logProb)
    {
        var bytes = vocabulary.TokenBytes(token);
        return new TokenLogProb(token, System.Text.Encoding.UTF8.GetString(bytes), logProb, bytes);
    }
}
