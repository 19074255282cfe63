namespace Chorus.Fusion;

/// <summary>
/// Builds the MinED mapping (PackLLM / FuseLLM) from the main vocabulary to a member's: for every main token,
/// (1) the member token with the same piece, else (2) the same piece with its word-boundary marker swapped
/// (▁ ↔ Ġ), else (3) the member piece at minimum Levenshtein distance.
/// </summary>
/// <remarks>
/// Direction: ALGORITHMS.md maps the other vocabulary onto the reference one; Chorus maps main → member so that
/// re-indexing is a gather that gives every main token a value from every member (a scatter would leave main
/// tokens with none and have to pick among colliding ones). Step 3 is exact unless a query exhausts
/// <see cref="MinEdOptions.NodeBudget"/>, in which case the best piece found so far is kept (counted in the statistics).
/// </remarks>
public static class MinEditDistanceMapper
{
    /// <summary>Builds the map; identical vocabularies (equal content hashes) give the identity without searching.</summary>
    public static VocabularyMap Build(IVocabulary main, IVocabulary member, MinEdOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(member);
        options ??= MinEdOptions.Default;
        var map = new int[main.Count];
        if (main.Count == member.Count && main.ContentHash == member.ContentHash)
        {
            for (var i = 0; i < map.Length; i++) map[i] = i;
            return new VocabularyMap(map, member.Count, new MapStatistics(map.Length, 0, 0, 0));
        }

        var index = VocabularyIndex.Of(member);
        var pending = new List<int>();
        int exact = 0, swapped = 0;
        for (var id = 0; id < main.Count; id++)
        {
            var piece = main.TokenText(id);
            if (index.TryGetByPiece(piece, out var target)) { map[id] = target; exact++; continue; }
            var swap = TokenText.SwapMarkers(piece);
            if (swap is not null && index.TryGetByPiece(swap, out target)) { map[id] = target; swapped++; continue; }
            pending.Add(id);
        }

        var trie = new TokenTrie(member);
        var longest = 0;
        foreach (var id in pending) longest = Math.Max(longest, main.TokenText(id).Length);
        var exhausted = 0;
        Parallel.For(0, pending.Count, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            () => (Buffers: new TokenTrie.Buffers(trie.MaxDepth, longest), Exhausted: 0),
            (i, _, local) =>
            {
                var id = pending[i];
                var (target, _, budgetExhausted) = trie.Nearest(main.TokenText(id), local.Buffers, options.NodeBudget);
                map[id] = target;
                if (budgetExhausted) local.Exhausted++;
                return local;
            },
            local => Interlocked.Add(ref exhausted, local.Exhausted));
        return new VocabularyMap(map, member.Count, new MapStatistics(exact, swapped, pending.Count, exhausted));
    }
}

/// <summary>Knobs of the MinED search.</summary>
public sealed record MinEdOptions
{
    public static MinEdOptions Default { get; } = new();

    /// <summary>
    /// Trie nodes one query may visit before settling for the best piece found so far. Queries close to some piece
    /// finish far below it; the ones that hit it (CJK byte-level pieces against a Latin vocabulary) have no close
    /// piece anyway, and an exhaustive search for them made a 152k × 50k build take minutes.
    /// </summary>
    public int NodeBudget { get; init; } = 20_000;

    /// <summary>Threads for the edit-distance step (−1: all cores).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}
