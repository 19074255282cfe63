namespace Chorus.Grains;

/// <summary>
/// How many tokens the next round drafts, from how the last rounds went (at most the requested k): start at
/// <see cref="FirstDraft"/>, double after a round whose drafts were all kept, shrink to one past the kept prefix
/// otherwise, and pause drafting while the recent acceptance rate is below one half — a round of one draft costs about
/// two plain steps, so a drafter that is kept less often saves nothing. Each pause that ends in another poor probe is twice as long (4 → 64 rounds).
/// <para>
/// Timed (greedy decoding): drafting also pauses while speculative rounds cost more per settled token than plain steps
/// (<see cref="MinGain"/>): the measured acceptance times the measured price of a k-row verification predicts a loss,
/// whatever the acceptance rate. The first round is a plain step, so the comparison has a baseline from the start,
/// and the paused rounds keep it current. Only greedy runs are timed: their output does not depend on the draft
/// lengths, while a seeded sampled run must repeat itself, so its draft lengths depend only on past rounds.
/// </para>
/// <para>
/// Free guesses: where the drafter's first draft after a plain step costs nothing to know (greedy; a drafting member's
/// arg-max of the row the step decoded anyway, or prompt lookup — <see cref="IDrafter.FreeGuess"/>), each plain round
/// says whether it would have been kept. A pause for acceptance whose rounds guessed mostly wrong (below one half) is
/// followed by another pause instead of a paid probe, and the timed baseline step that guessed wrong starts one: a
/// drafter the pack disagrees with then costs almost nothing beyond plain steps (the self-quoting run with the main
/// member as drafter, 2 of 11 drafts kept, lost 3–16 % to its first round and five paid probes).
/// </para>
/// </summary>
internal sealed class DraftLength(int max, bool timed = false)
{
    /// <summary>Speculative rounds must settle tokens at least this much faster than plain steps (per token: cost × 0.95).</summary>
    public const double MinGain = 1.05;

    /// <summary>
    /// Drafts of the first round (or k if smaller). A first round of all k drafts cost a drafter the members disagree with
    /// k sequential decodes before any acceptance was known: with k = 16 that round alone took the run to 0.79–0.89× of
    /// plain (self-quoting prompt, drafter = main member, 2 of 23 drafts kept); doubling from 4 reaches 16 in three rounds.
    /// </summary>
    public const int FirstDraft = 4;

    private const int FirstPause = 4, LongestPause = 64;
    private const double Floor = 0.5, Memory = 0.7;
    private readonly int _max = max;
    private int _next = Math.Min(max, FirstDraft);
    private int _pause = FirstPause;
    private int _paused = timed ? 1 : 0;
    private int _guesses, _guessesKept; // free guesses during the current pause
    private double _plainMs = double.NaN, _draftMs = double.NaN;

    /// <summary>Recent share of drafts kept (exponentially weighted over rounds).</summary>
    public double AcceptanceRate { get; private set; } = 1;

    /// <summary>Why drafting last paused: "acceptance" (too few drafts kept) or "cost" (slower than plain steps); null if never.</summary>
    public string? PauseReason { get; private set; }

    /// <summary>Drafts for the next round (0 = a plain step).</summary>
    public int Next => _paused > 0 ? 0 : _next;

    /// <summary>
    /// Drafts for the round after one that drafts <paramref name="drafted"/> (&gt; 0) tokens and keeps them all: what
    /// <see cref="Next"/> will say then unless the round's cost pauses drafting, so the pipeline can draft that round ahead.
    /// </summary>
    public int IfAllKept(int drafted) => Math.Min(_max, Math.Max(drafted + 2, drafted * 2));

    /// <summary>
    /// A round's outcome; timed, also how long it took (<paramref name="milliseconds"/>) for how many settled tokens; for
    /// a plain round, whether the drafter's free guess would have been kept (<paramref name="guessKept"/>; null: no free guess).
    /// </summary>
    public void Observe(int drafted, int accepted, double milliseconds = double.NaN, int settled = 0, bool? guessKept = null)
    {
        if (timed && settled > 0 && double.IsFinite(milliseconds))
        {
            var perToken = milliseconds / settled;
            if (drafted == 0) _plainMs = Average(_plainMs, perToken);
            else _draftMs = Average(_draftMs, perToken);
        }
        if (_paused > 0)
        {
            if (drafted == 0 && guessKept is { } right)
            {
                _guesses++;
                if (right) _guessesKept++;
            }
            if (--_paused == 0) EndPause();
            return;
        }
        if (drafted == 0) return;
        AcceptanceRate = Memory * AcceptanceRate + (1 - Memory) * accepted / drafted;
        _next = accepted == drafted ? IfAllKept(drafted) : Math.Max(1, accepted + 1);
        var kept = AcceptanceRate >= Floor;
        var slower = timed && _draftMs * MinGain > _plainMs; // false while either is unknown (NaN)
        if (kept && !slower)
        {
            _pause = FirstPause;
            return;
        }
        _paused = _pause; // then probe again: one good round resumes drafting
        _pause = Math.Min(LongestPause, _pause * 2);
        PauseReason = kept ? "cost" : "acceptance";
        if (!kept) AcceptanceRate = Floor; // probes start from the floor
        else _draftMs = double.NaN; // the next probe is judged on its own cost
    }

    // the pause's plain rounds guessed (a pause for cost is judged by a probe's price, which no guess tells): mostly
    // wrong, another pause follows (it costs nothing, so it does not grow); otherwise, or with no guesses, the next round probes
    private void EndPause()
    {
        var wrong = PauseReason != "cost" && _guesses > 0 && _guessesKept < Floor * _guesses;
        _guesses = _guessesKept = 0;
        if (!wrong) return;
        _paused = FirstPause;
        PauseReason = "acceptance";
        AcceptanceRate = Math.Min(AcceptanceRate, Floor);
    }

    private static double Average(double current, double sample) => double.IsNaN(current) ? sample : Memory * current + (1 - Memory) * sample;
}
