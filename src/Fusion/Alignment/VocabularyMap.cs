namespace Chorus.Fusion;

/// <summary>
/// A total mapping from every token of the main vocabulary to one token of a member's vocabulary (MinED).
/// Fusion gathers the member's log-probs through it, so every main token receives a value from every member;
/// the inverse (member token → the main tokens mapped to it) serves members that sent only their top-k.
/// </summary>
public sealed class VocabularyMap
{
    private readonly int[] _toMember;
    private int[]? _inverseStart;
    private int[]? _inverseMain;

    public VocabularyMap(int[] toMember, int memberVocabularySize, MapStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(toMember);
        foreach (var t in toMember)
            if ((uint)t >= (uint)memberVocabularySize)
                throw new ArgumentOutOfRangeException(nameof(toMember), t, $"mapped id outside the member vocabulary of {memberVocabularySize}");
        _toMember = toMember;
        MemberVocabularySize = memberVocabularySize;
        Statistics = statistics;
    }

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

    /// <summary>The main tokens that map to <paramref name="memberToken"/> (built on first use).</summary>
    public ReadOnlySpan<int> MainTokensOf(int memberToken)
    {
        if (_inverseStart is null) BuildInverse();
        return _inverseMain.AsSpan(_inverseStart![memberToken], _inverseStart[memberToken + 1] - _inverseStart[memberToken]);
    }

    private void BuildInverse()
    {
        // Counting sort into CSR arrays: two passes, no per-token lists.
        var start = new int[MemberVocabularySize + 1];
        foreach (var t in _toMember) start[t + 1]++;
        for (var i = 0; i < MemberVocabularySize; i++) start[i + 1] += start[i];
        var fill = (int[])start.Clone();
        var main = new int[_toMember.Length];
        for (var m = 0; m < _toMember.Length; m++) main[fill[_toMember[m]]++] = m;
        _inverseMain = main;
        _inverseStart = start;
    }
}

/// <summary>
/// How many main tokens were matched exactly, by their text with word-boundary markers normalised, by edit distance
/// (of which <paramref name="BudgetExhausted"/> stopped early), or as special tokens by role.
/// </summary>
public readonly record struct MapStatistics(int Exact, int MarkerSwap, int EditDistance, int BudgetExhausted, int Special = 0);
