using Chorus.Llama;

namespace Chorus.Client.Eval;

/// <summary>A piece of text to score and the domain it comes from ("mixed" windows name their majority domain).</summary>
public sealed record EvalText(string Domain, string Text, int Offset);

/// <summary>
/// Cuts evaluation texts. The zoo's models have a 256-token context, so every scored text is a window that fits it in
/// every member's vocabulary; long texts (a test split, the mixed text) are scored as a series of such windows.
/// </summary>
public sealed class EvalTexts(IReadOnlyList<LlamaVocabulary> vocabularies, int maxTokens)
{
    /// <summary><paramref name="count"/> evenly spaced windows of <paramref name="text"/>, each starting at a line and fitting every vocabulary.</summary>
    public List<EvalText> Windows(string domain, string text, int count, int chars)
    {
        var result = new List<EvalText>(count);
        var stride = Math.Max(1, (text.Length - chars) / Math.Max(1, count));
        for (var i = 0; i < count; i++)
        {
            var start = LineStart(text, i * stride);
            if (start >= text.Length - 16) break;
            result.Add(new EvalText(domain, Fit(text.Substring(start, Math.Min(chars, text.Length - start))), start));
        }
        return result;
    }

    /// <summary>
    /// A mixed text: chunks of 2–8 kB from the domains' test splits, the domains taking turns in a seeded random order;
    /// returns the text and which domain each character range came from.
    /// </summary>
    public static (string Text, List<(int Start, int End, string Domain)> Segments) Mixed(IReadOnlyList<(string Domain, string Text)> splits, int totalChars, int seed)
    {
        var random = new Random(seed);
        var builder = new System.Text.StringBuilder(totalChars + 8192);
        var segments = new List<(int, int, string)>();
        var last = -1;
        while (builder.Length < totalChars)
        {
            int pick;
            do pick = random.Next(splits.Count); while (pick == last && splits.Count > 1);
            last = pick;
            var (domain, text) = splits[pick];
            var length = random.Next(2048, 8193);
            var start = LineStart(text, random.Next(Math.Max(1, text.Length - length)));
            var chunk = text.Substring(start, Math.Min(length, text.Length - start));
            var end = chunk.LastIndexOf('\n');
            if (end > 0) chunk = chunk[..(end + 1)];
            segments.Add((builder.Length, builder.Length + chunk.Length, domain));
            builder.Append(chunk);
        }
        return (builder.ToString(), segments);
    }

    /// <summary>Consecutive windows over the mixed text, each labelled with the domain that covers most of it.</summary>
    public List<EvalText> MixedWindows(string text, IReadOnlyList<(int Start, int End, string Domain)> segments, int chars)
    {
        var result = new List<EvalText>();
        for (var start = 0; start < text.Length - chars / 2;)
        {
            var window = Fit(text.Substring(start, Math.Min(chars, text.Length - start)));
            var end = start + window.Length;
            var domain = segments
                .Select(s => (s.Domain, Overlap: Math.Max(0, Math.Min(end, s.End) - Math.Max(start, s.Start))))
                .GroupBy(s => s.Domain).OrderByDescending(g => g.Sum(s => s.Overlap)).First().Key;
            result.Add(new EvalText(domain, window, start));
            start = end;
        }
        return result;
    }

    /// <summary>Shortens a window (at a line or word end) until every vocabulary tokenizes it within the context.</summary>
    private string Fit(string window)
    {
        while (window.Length > 32 && vocabularies.Any(v => v.Tokenize(window, addSpecial: true).Length > maxTokens))
        {
            var cut = window.LastIndexOf('\n', window.Length - 2);
            if (cut < window.Length * 3 / 4) cut = window.LastIndexOf(' ', window.Length - 2);
            window = window[..Math.Max(32, cut > 0 ? cut + 1 : window.Length * 9 / 10)];
        }
        return window;
    }

    private static int LineStart(string text, int at)
    {
        if (at <= 0) return 0;
        var nl = text.IndexOf('\n', Math.Min(at, text.Length - 1));
        return nl < 0 ? at : Math.Min(nl + 1, text.Length - 1);
    }
}
