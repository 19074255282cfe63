namespace Chorus.Grains;

/// <summary>
/// How many tokens the next round drafts, from how the last rounds went (at most the requested k): grow after a round
/// whose drafts were all kept, shrink to one past the kept prefix otherwise, and pause drafting while the recent
/// acceptance rate is below one half — a round of one draft costs about two plain steps, so a drafter that is kept
/// less often saves nothing. Each pause that ends in another poor probe is twice as long (4 → 64 rounds). The choice
/// depends only on past rounds, so greedy output and the sampled distribution are unchanged.
/// </summary>
internal sealed class DraftLength(int max)
{
    private const int FirstPause = 4, LongestPause = 64;
    private const double Floor = 0.5, Memory = 0.7;
    private readonly int _max = max;
    private int _next = max;
    private int _pause = FirstPause;
    private int _paused;

    /// <summary>Recent share of drafts kept (exponentially weighted over rounds).</summary>
    public double AcceptanceRate { get; private set; } = 1;

    /// <summary>Drafts for the next round (0 = a plain step).</summary>
    public int Next => _paused > 0 ? 0 : _next;

    /// <summary>
    /// Drafts for the round after one that drafts <paramref name="drafted"/> (&gt; 0) tokens and keeps them all: what
    /// <see cref="Next"/> will say then (a kept round never pauses), so the pipeline can draft that round ahead.
    /// </summary>
    public int IfAllKept(int drafted) => Math.Min(_max, drafted + 2);

    public void Observe(int drafted, int accepted)
    {
        if (_paused > 0)
        {
            _paused--;
            return;
        }
        if (drafted == 0) return;
        AcceptanceRate = Memory * AcceptanceRate + (1 - Memory) * accepted / drafted;
        _next = accepted == drafted ? Math.Min(_max, drafted + 2) : Math.Max(1, accepted + 1);
        if (AcceptanceRate >= Floor)
        {
            _pause = FirstPause;
            return;
        }
        _paused = _pause; // then probe again, starting from the floor: one good round resumes drafting
        _pause = Math.Min(LongestPause, _pause * 2);
        AcceptanceRate = Floor;
    }
}
