using System.Numerics.Tensors;

namespace Chorus.Fusion;

/// <summary>
/// Re-expresses one member's step distribution as normalised, floored log-probabilities over the MAIN vocabulary:
/// a copy for the main vocabulary itself, a gather through the MinED map for another vocabulary.
/// </summary>
public sealed class MemberProjection
{
    private readonly VocabularyMap? _map;

    /// <param name="mainVocabularySize">Size of the main vocabulary.</param>
    /// <param name="map">main → member map; null when the member uses the main vocabulary.</param>
    public MemberProjection(int mainVocabularySize, VocabularyMap? map)
    {
        if (map is not null && map.MainVocabularySize != mainVocabularySize)
            throw new ArgumentException($"map covers {map.MainVocabularySize} main tokens, the main vocabulary has {mainVocabularySize}");
        MainVocabularySize = mainVocabularySize;
        _map = map;
    }

    public int MainVocabularySize { get; }

    /// <summary>True when the member shares the main vocabulary (no re-indexing).</summary>
    public bool IsDirect => _map is null;

    /// <summary>The MinED map, when the member's vocabulary differs.</summary>
    public VocabularyMap? Map => _map;

    /// <summary>
    /// Writes log p(t) for every main token t. A top-k member gives its tail estimate to tokens outside its top-k;
    /// a re-indexed member is renormalised over the main vocabulary (several main tokens may share a member token);
    /// main tokens it has no counterpart for get the floor.
    /// </summary>
    public void Write(TokenDistribution distribution, Span<float> destination, Span<float> scratch)
    {
        if (_map is null)
        {
            LogSpace.WriteLogProbs(distribution, destination);
            return;
        }
        if (distribution.IsFull)
        {
            var logits = distribution.Logits;
            var toMember = _map.ToMember;
            for (var t = 0; t < destination.Length; t++) destination[t] = logits[toMember[t]];
        }
        else
        {
            destination.Fill(LogSpace.TailLogProb(distribution));
            var ids = distribution.TopTokens;
            var lps = distribution.TopLogProbs;
            for (var i = 0; i < ids.Length; i++)
                foreach (var mainToken in _map.MainTokensOf(ids[i])) destination[mainToken] = lps[i];
        }
        // main special tokens the member has no role for: it never predicts them (its EOS mass stays on main's EOS)
        foreach (var t in _map.Unmatched) destination[t] = LogSpace.Floor;
        LogSpace.LogSoftmaxInPlace(destination, scratch);
        TensorPrimitives.Max(destination, LogSpace.Floor, destination);
    }
}
