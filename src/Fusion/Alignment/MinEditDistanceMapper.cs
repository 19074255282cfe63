namespace Chorus.Fusion;

/// <summary>
/// Builds the MinED mapping (PackLLM / FuseLLM) from the main vocabulary to a member's: special tokens by role
/// (EOS ↔ EOS, EOT ↔ EOT, BOS ↔ BOS, unknown ↔ unknown), and for every other main token (1) the member token with the
/// same piece, else (2) the member token with the same normalised text (word-boundary markers ▁ and Ġ both a space,
/// see <see cref="TokenText.ToPlainText"/>), else (3) the member token whose normalised text is at minimum
/// Levenshtein distance. Special and control tokens are never matched by text, in either vocabulary.
/// </summary>
/// <remarks>
/// Direction: PackLLM's reference code (align_tokenizers) builds base_to_blending_mapping from each token of the
/// reference (base) tokenizer to a blending model's token, and re-indexes through it; Chorus does the same with the
/// main vocabulary as the reference, so re-indexing is a gather that gives every main token a value from every member.
/// The reference swaps only a leading marker and then measures edit distance on that swapped piece against raw member
/// pieces; measuring it on normalised text on both sides is what keeps "Ġwhe" next to "▁the" rather than "The".
/// Step 3 is exact unless a query exhausts <see cref="MinEdOptions.NodeBudget"/>, in which case the best piece found so
/// far is kept (counted in the statistics).
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

        var byPiece = new Dictionary<string, int>(member.Count, StringComparer.Ordinal);
        var byText = new Dictionary<string, int>(member.Count, StringComparer.Ordinal);
        var memberTexts = new string?[member.Count]; // null: special, never a target of text matching
        for (var id = 0; id < member.Count; id++)
        {
            if (IsSpecial(member, id)) continue;
            var piece = member.TokenText(id);
            byPiece.TryAdd(piece, id); // duplicates keep the lowest id
            memberTexts[id] = TokenText.ToPlainText(piece);
            byText.TryAdd(memberTexts[id]!, id);
        }

        var pending = new List<int>();
        var unmatched = new List<int>();
        int exact = 0, normalised = 0, special = 0;
        for (var id = 0; id < main.Count; id++)
        {
            if (IsSpecial(main, id))
            {
                special++;
                var counterpart = Counterpart(main, id, member);
                map[id] = Math.Max(0, counterpart); // in range for readers; unmatched tokens get the floor, not its value
                if (counterpart < 0) unmatched.Add(id);
                continue;
            }
            var piece = main.TokenText(id);
            if (byPiece.TryGetValue(piece, out var target)) { map[id] = target; exact++; continue; }
            if (byText.TryGetValue(TokenText.ToPlainText(piece), out target)) { map[id] = target; normalised++; continue; }
            pending.Add(id);
        }

        var trie = new TokenTrie(memberTexts);
        var queries = new string[pending.Count];
        var longest = 0;
        for (var i = 0; i < queries.Length; i++) longest = Math.Max(longest, (queries[i] = TokenText.ToPlainText(main.TokenText(pending[i]))).Length);
        var exhausted = 0;
        Parallel.For(0, pending.Count, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            () => (Buffers: new TokenTrie.Buffers(trie.MaxDepth, longest), Exhausted: 0),
            (i, _, local) =>
            {
                var (target, _, budgetExhausted) = trie.Nearest(queries[i], local.Buffers, options.NodeBudget);
                map[pending[i]] = target;
                if (budgetExhausted) local.Exhausted++;
                return local;
            },
            local => Interlocked.Add(ref exhausted, local.Exhausted));
        return new VocabularyMap(map, member.Count, new MapStatistics(exact, normalised, pending.Count, exhausted, special), [.. unmatched]);
    }

    private static bool IsSpecial(IVocabulary vocabulary, int id) => vocabulary.Specials.Has(id) || vocabulary.IsControl(id);

    /// <summary>
    /// The member token with the main special token's role, or −1 for none. End of generation is asked first (GPT-2's
    /// &lt;|endoftext|&gt; is both BOS and EOS, and only its EOS role is ever predicted). A main token that does not end
    /// generation never maps to one that does in the member: SentencePiece's &lt;s&gt; and &lt;unk&gt; would otherwise
    /// both fall back to GPT-2's &lt;|endoftext|&gt; and take the member's end-of-text probability away from main's
    /// &lt;/s&gt;. A role the member lacks falls back to another special token it has (unknown, then BOS) that is not
    /// end of generation, never to text; failing that the token is unmatched.
    /// </summary>
    private static int Counterpart(IVocabulary main, int id, IVocabulary member)
    {
        var (from, to) = (main.Specials, member.Specials);
        var ends = id == from.Eos || id == from.Eot || main.IsEndOfGeneration(id);
        if (ends)
        {
            int[] eog = id == from.Eot ? [to.Eot, to.Eos] : [to.Eos, to.Eot];
            foreach (var t in eog) if (t >= 0) return t;
            foreach (var t in (ReadOnlySpan<int>)[to.Unknown, to.Bos]) if (t >= 0) return t;
            return 0; // a member without any special token: nothing better to point at
        }
        int[] wanted = id == from.Unknown ? [to.Unknown, to.Bos] : id == from.Bos ? [to.Bos, to.Unknown] : [to.Unknown, to.Bos];
        foreach (var t in wanted) if (t >= 0 && !member.IsEndOfGeneration(t)) return t;
        return -1;
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
