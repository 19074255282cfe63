namespace Chorus.Llama;

/// <summary>
/// Plans a speculative verification of a <see cref="TextSequence"/> that follows a shared text in another vocabulary:
/// one edit that syncs the sequence to the whole drafted text, plus, for each drafted prefix, the row of that edit that
/// holds the distribution the plain path (a sync to exactly that prefix) would have read — or −1 where the prefix's own
/// tokenization is not a prefix of the whole text's, so no row of this edit is that distribution.
/// </summary>
public static class DraftSync
{
    /// <summary>
    /// Plans the edit. <paramref name="prefixLengths"/> are char lengths of prefixes of <paramref name="text"/>, ascending,
    /// the first being the text already agreed on. When even that prefix does not tokenize as a prefix of the whole,
    /// the edit syncs to the first prefix only (its row is always returned: the caller always progresses).
    /// </summary>
    public static (TextEdit Edit, int[] Rows) Plan(TextSequence sequence, string text, IReadOnlyList<int> prefixLengths, DistributionRequest request)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(prefixLengths);
        if (prefixLengths.Count == 0) throw new ArgumentException("give at least one prefix length", nameof(prefixLengths));
        var old = sequence.Sequence.Tokens;
        var prefixes = new int[prefixLengths.Count][];
        for (var j = 0; j < prefixes.Length; j++)
        {
            var length = prefixLengths[j];
            if (length < 0 || length > text.Length || (j > 0 && length < prefixLengths[j - 1]))
                throw new ArgumentOutOfRangeException(nameof(prefixLengths), length, $"prefix lengths must ascend within the text's {text.Length} chars");
            prefixes[j] = Tokens(old, sequence.PlanSync(text[..length], request).Edit);
        }
        var whole = sequence.PlanSync(text, request);
        var all = Tokens(old, whole.Edit);
        var coverText = text;
        if (!StartsWith(all, prefixes[0]))
        {
            // the agreed text itself tokenizes differently inside the draft: verify nothing this round
            whole = sequence.PlanSync(text[..prefixLengths[0]], request);
            all = prefixes[0];
            coverText = text[..prefixLengths[0]];
        }
        // re-decode from the agreed prefix's last token at the latest, so its row is always in this edit
        var keep = Math.Min(whole.Edit.Keep, prefixes[0].Length - 1);
        var rows = new int[prefixes.Length];
        for (var j = 0; j < prefixes.Length; j++)
            rows[j] = ReferenceEquals(all, prefixes[0]) && j > 0 ? -1
                : StartsWith(all, prefixes[j]) && prefixes[j].Length - 1 >= keep ? prefixes[j].Length - 1 - keep : -1;
        var edit = new SequenceEdit(sequence.Sequence, keep, all[keep..], request) { AllRows = true };
        return (new TextEdit(edit, coverText, whole.Offsets, old.Count - keep), rows);
    }

    // the sequence's tokens once an edit is applied
    private static int[] Tokens(IReadOnlyList<int> old, SequenceEdit edit)
    {
        var tokens = new int[edit.Keep + edit.Tokens.Length];
        for (var i = 0; i < edit.Keep; i++) tokens[i] = old[i];
        edit.Tokens.CopyTo(tokens, edit.Keep);
        return tokens;
    }

    private static bool StartsWith(int[] all, int[] prefix) => prefix.Length <= all.Length && all.AsSpan(0, prefix.Length).SequenceEqual(prefix);
}
