namespace Chorus.Fusion;

/// <summary>
/// A total mapping from every token of the main vocabulary to one token of a member's vocabulary (MinED).
/// Fusion gathers the member's log-probs through it, so every main token receives a value from every member;
/// the inverse (member token → the main tokens mapped to it) serves members that sent only their top-k.
/// </summary>
public sealed class VocabularyMap
{
    private readonly int[] _toMember;
    private readonly int[] _unmatched;
    private readonly bool[]? _isUnmatched;
    private int[]? _inverseStart;
    private int[]? _inverseMain;

    /// <param name="toMember">The member token of every main token.</param>
    /// <param name="memberVocabularySize">Size of the member's vocabulary.</param>
    /// <param name="statistics">How the tokens were matched.</param>
    /// <param name="unmatched">Main tokens with no counterpart in the member (special tokens whose role it lacks): the
    /// member gives them no probability, whatever <paramref name="toMember"/> holds for them.</param>
    public VocabularyMap(int[] toMember, int memberVocabularySize, MapStatistics statistics, int[]? unmatched = null)
    {
        ArgumentNullException.ThrowIfNull(toMember);
        foreach (var t in toMember)
            if ((uint)t >= (uint)memberVocabularySize)
                throw new ArgumentOutOfRangeException(nameof(toMember), t, $"mapped id outside the member vocabulary of {memberVocabularySize}");
        _toMember = toMember;
        MemberVocabularySize = memberVocabularySize;
        Statistics = statistics;
        _unmatched = unmatched ?? [];
        if (_unmatched.Length == 0) return;
        _isUnmatched = new bool[toMember.Length];
        foreach (var t in _unmatched)
        {
            if ((uint)t >= (uint)toMember.Length)
                throw new ArgumentOutOfRangeException(nameof(unmatched), t, $"unmatched id outside the main vocabulary of {toMember.Length}");
            _isUnmatched[t] = true;
        }
    }

    /// <summary>Main tokens the member has no counterpart for (it gives them the floor log-prob).</summary>
    public ReadOnlySpan<int> Unmatched => _unmatched;

    /// <summary>True when the member has no counterpart for main token <paramref name="mainToken"/>.</summary>
    public bool IsUnmatched(int mainToken) => _isUnmatched is not null && _isUnmatched[mainToken];

    /// <summary>Size of the main vocabulary (the map's domain).</summary>
    public int MainVocabularySize => _toMember.Length;

    public int MemberVocabularySize { get; }

    /// <summary>How each token was matched.</summary>
    public MapStatistics Statistics { get; }

    /// <summary>Member token for each main token.</summary>
    public ReadOnlySpan<int> ToMember => _toMember;

    /// <summary>True when every main token maps to the same id (a vocabulary against itself).</summary>
    public bool IsIdentity
    {
        get
        {
            if (MainVocabularySize != MemberVocabularySize) return false;
            for (var i = 0; i < _toMember.Length; i++) if (_toMember[i] != i) return false;
            return true;
        }
    }

    /// <summary>The main tokens that map to <paramref name="memberToken"/>, unmatched ones left out (built on first use).</summary>
    public ReadOnlySpan<int> MainTokensOf(int memberToken)
    {
        if (_inverseStart is null) BuildInverse();
        return _inverseMain.AsSpan(_inverseStart![memberToken], _inverseStart[memberToken + 1] - _inverseStart[memberToken]);
    }

    private void BuildInverse()
    {
        // Counting sort into CSR arrays: two passes, no per-token lists.
        var start = new int[MemberVocabularySize + 1];
        for (var m = 0; m < _toMember.Length; m++) if (!IsUnmatched(m)) start[_toMember[m] + 1]++;
        for (var i = 0; i < MemberVocabularySize; i++) start[i + 1] += start[i];
        var fill = (int[])start.Clone();
        var main = new int[_toMember.Length - _unmatched.Length];
        for (var m = 0; m < _toMember.Length; m++) if (!IsUnmatched(m)) main[fill[_toMember[m]]++] = m;
        _inverseMain = main;
        _inverseStart = start;
    }
}

/// <summary>
/// How many main tokens were matched exactly, by their text with word-boundary markers normalised, by edit distance
/// (of which <paramref name="BudgetExhausted"/> stopped early), or as special tokens by role.
/// </summary>
public readonly record struct MapStatistics(int Exact, int MarkerSwap, int EditDistance, int BudgetExhausted, int Special = 0);
