using Chorus.Contracts;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Plans the one <see cref="TextEdit"/> a <see cref="SequenceEditRequest"/> (checked by <see cref="EditRequestRules"/>) makes
/// of a sequence, against what the sequence holds now — on the scheduler's thread, or before it for a whole text (see
/// <see cref="ModelEndpoint"/>). Token ids after kept tokens; a text that replaces the sequence (a prefill); a text after kept
/// chars of the covered text (a sync, re-tokenizing only its tail), or such a sync that verifies each prefix of its text.
/// </summary>
internal static class EditPlanner
{
    /// <summary>
    /// The edit, and for each row of the reply the edit's row that holds it (null = the edit's rows in order, −1 = none:
    /// that text prefix does not tokenize as a prefix of the whole). A draft's proposals are planned one by one afterwards.
    /// </summary>
    public static (TextEdit Edit, int[]? Rows) Plan(TextSequence sequence, SequenceEditRequest r, DistributionRequest wire, string model)
    {
        if (r.Tokens is { } tokens)
        {
            var length = sequence.Sequence.Length;
            var keep = r.KeepTokens ?? length;
            if (keep > length)
                throw new ChorusException(ChorusErrorKind.InvalidArgument, $"cannot keep {keep} tokens (KeepTokens) of a sequence of model '{model}' that holds {length}") { Field = "KeepTokens" };
            // by id: the text the sequence covers becomes unknown
            var append = sequence.PlanAppend(tokens, wire);
            return (append with { Edit = append.Edit with { Keep = keep, AllRows = r.AllRows }, RolledBack = length - keep }, null);
        }
        var text = r.Text!;
        if (r.KeepTokens == 0) return (WithRows(sequence.PlanPrefill(text, wire, r.Evidence, r.PositionsTopK, r.ParseSpecial), r.AllRows), null);
        // a sync re-tokenizes text the prefill covered: it must read special-token markers as the prefill did
        if (r.ParseSpecial != sequence.ParseSpecial)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                $"a sequence of model '{model}' was prefilled with special tokens {(sequence.ParseSpecial ? "" : "not ")}parsed, and its syncs must say the same (ParseSpecial = {sequence.ParseSpecial})")
            { Field = "ParseSpecial" };
        var covered = sequence.Text;
        var keepChars = r.KeepChars ?? covered.Length;
        if (keepChars > covered.Length)
            throw new ChorusException(ChorusErrorKind.InvalidArgument,
                $"cannot keep {keepChars} chars of the text a sequence of model '{model}' covers ({covered.Length} chars); send the whole text (KeepChars 0)")
            { Field = "KeepChars" };
        var whole = keepChars == 0 ? text : string.Concat(covered.AsSpan(0, keepChars), text);
        if (r.PrefixLengths is { } prefixes) return DraftSync.Plan(sequence, whole, prefixes, wire);
        return (WithRows(sequence.PlanSync(whole, wire), r.AllRows), null);
    }

    /// <summary>True when the request carries the whole text it makes the sequence cover, so it can be tokenized before the scheduler's turn.</summary>
    public static bool HasWholeText(SequenceEditRequest r) => r.Text is not null && (r.KeepTokens == 0 || r.KeepChars == 0);

    private static TextEdit WithRows(TextEdit edit, bool allRows) => allRows ? edit with { Edit = edit.Edit with { AllRows = true } } : edit;
}
