using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// The shape of a <see cref="SequenceEditRequest"/>, checked before it reaches the scheduler: one keep, one thing to append,
/// rows, evidence and a draft only where they mean something. Each refusal is InvalidArgument naming the field. What depends
/// on the sequence (a keep beyond what it holds, a sync that parses specials unlike its prefill) is checked where the edit is
/// planned (<see cref="EditPlanner"/>).
/// </summary>
internal static class EditRequestRules
{
    public static void Check(SequenceEditRequest? r, string model, int contextSize)
    {
        if (r is null) throw Invalid(model, "request", "the edit request is missing");
        if (r.KeepTokens < 0) throw Invalid(model, "KeepTokens", $"KeepTokens must be ≥ 0 (tokens of the sequence to keep), got {r.KeepTokens}");
        if (r.KeepChars < 0) throw Invalid(model, "KeepChars", $"KeepChars must be ≥ 0 (chars of the covered text to keep), got {r.KeepChars}");
        if (r.KeepTokens is not null && r.KeepChars is not null)
            throw Invalid(model, "KeepChars", "give KeepTokens (keep tokens, then append tokens or a whole text) or KeepChars (keep chars, then append a text tail), not both");
        CheckAppend(r, model);
        if (r.TopK < 0) throw Invalid(model, "TopK", $"TopK must be ≥ 0 (0 = full logits), got {r.TopK}");
        if (r.PositionsTopK < 0) throw Invalid(model, "PositionsTopK", $"PositionsTopK must be ≥ 0 (0 = none), got {r.PositionsTopK}");
        if (r.Evidence && !(r.Text is not null && r.KeepTokens == 0))
            throw Invalid(model, "Evidence", "prompt evidence comes with a prefill (KeepTokens 0 and a Text); drop Evidence for other edits");
        CheckPrefixes(r, model);
        if (r.Draft is { } draft) CheckDraft(r, draft, model, contextSize);
    }

    private static void CheckAppend(SequenceEditRequest r, string model)
    {
        if (r.Tokens is not null && r.Text is not null) throw Invalid(model, "Tokens", "give Tokens (ids to append) or Text (a text to append), not both");
        if (r.Tokens is null && r.Text is null) throw Invalid(model, "Tokens", "nothing to append: give Tokens (ids) or Text");
        if (r.Tokens is { Length: 0 }) throw Invalid(model, "Tokens", "nothing to append: Tokens is empty; give at least one token id");
        if (r.Tokens is not null && r.KeepChars is not null)
            throw Invalid(model, "KeepChars", "KeepChars keeps part of a text, and token ids do not extend a text; keep with KeepTokens, or append a Text");
        if (r.Tokens is not null && r.ParseSpecial) throw Invalid(model, "ParseSpecial", "ParseSpecial applies to a Text; token ids are appended as they are");
        if (r.Text is not null && r.KeepTokens > 0)
            throw Invalid(model, "KeepTokens",
                $"a Text replaces the sequence (KeepTokens 0) or follows kept chars of its text (KeepChars), not {r.KeepTokens} kept tokens; append token ids after kept tokens");
    }

    private static void CheckPrefixes(SequenceEditRequest r, string model)
    {
        if (r.PrefixLengths is not { } prefixes) return;
        if (r.Text is null || r.KeepTokens is not null)
            throw Invalid(model, "PrefixLengths", "PrefixLengths are prefixes of a synced text: give a Text with KeepChars (not a prefill, not token ids)");
        if (r.AllRows) throw Invalid(model, "PrefixLengths", "give AllRows (a row per appended token) or PrefixLengths (a row per text prefix), not both");
        if (prefixes.Length == 0) throw Invalid(model, "PrefixLengths", "PrefixLengths is empty; give at least the length of the text already agreed on");
        for (var i = 0; i < prefixes.Length; i++)
            if (prefixes[i] < 0 || (i > 0 && prefixes[i] < prefixes[i - 1]))
                throw Invalid(model, "PrefixLengths", $"PrefixLengths must be ≥ 0 and ascend; entry {i} is {prefixes[i]}");
    }

    private static void CheckDraft(SequenceEditRequest r, EditDraft draft, string model, int contextSize)
    {
        if (r.Tokens is null) throw Invalid(model, "Draft", "a draft follows appended token ids (Tokens), not a Text");
        if (r.AllRows) throw Invalid(model, "Draft", "a draft returns its own rows (Draft.ReturnRows); drop AllRows");
        if (draft.Count < 0 || draft.Count > contextSize)
            throw Invalid(model, "Draft.Count", $"Draft.Count must be between 0 and the sequence's context of {contextSize} tokens, got {draft.Count}");
    }

    private static ChorusException Invalid(string model, string field, string message) =>
        new(ChorusErrorKind.InvalidArgument, $"edit of model '{model}': {message}") { Field = field };
}
