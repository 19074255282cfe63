namespace Chorus.Grains;

/// <summary>
/// How many tokens the next round drafts, from how the last rounds went (at most the requested k): grow after a round
/// whose drafts were all kept, shrink to one past the kept prefix otherwise, and pause drafting for a few rounds when
/// single drafts keep being rejected (a drafter that disagrees costs a decode per token and saves nothing), twice as
/// long after each probe that fails again. The choice
/// depends only on past rounds, so greedy output and the sampled distribution are unchanged.
/// </summary>
internal sealed class DraftLength(int max)
{
    private readonly int _max = max;
    private const int FirstPause = 4, LongestPause = 64;
    private int _pause = FirstPause;
    private int _next = max;
    private int _rejectedSingles;
    private int _paused;

    /// <summary>Drafts for the next round (0 = a plain step).</summary>
    public int Next => _paused > 0 ? 0 : _next;

    public void Observe(int drafted, int accepted)
    {
        if (_paused > 0)
        {
            _paused--;
            return;
        }
        if (drafted == 0) return;
        if (accepted == drafted)
        {
            _next = Math.Min(_max, drafted + 2);
            _rejectedSingles = 0;
            _pause = FirstPause;
            return;
        }
        _next = Math.Max(1, accepted + 1);
        if (accepted > 0) _pause = FirstPause;
        _rejectedSingles = accepted == 0 && drafted == 1 ? _rejectedSingles + 1 : 0;
        if (_rejectedSingles < 2) return;
        _paused = _pause; // then probe again with one draft
        _pause = Math.Min(LongestPause, _pause * 2);
        _rejectedSingles = 1; // one more failed probe pauses again
    }
}
