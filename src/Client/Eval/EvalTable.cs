using System.Globalization;

namespace Chorus.Client.Eval;

/// <summary>The human-readable form of an <see cref="EvalReport"/>: one block per suite and text set.</summary>
public static class EvalTable
{
    public static void Write(TextWriter output, EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        foreach (var s in report.Scores)
        {
            output.WriteLine(string.Create(c, $"== {s.Suite} on {s.TextSet} ({s.Windows} windows)"));
            // across vocabularies only bits per byte compares: it leads, and "vs best single" is in bits per byte
            var bytesFirst = s.AcrossVocabularies;
            string Figures(double ppl, double bpb) => bytesFirst
                ? string.Create(c, $"bpb {bpb,7:F4}  ppl {ppl,9:F2}")
                : string.Create(c, $"ppl {ppl,9:F2}  bpb {bpb,7:F4}");
            foreach (var a in s.Alone)
                output.WriteLine(string.Create(c, $"  {"single " + a.Model,-40} {Figures(a.Perplexity, a.BitsPerByte)}  ({a.Tokens} tokens, {a.Bytes} bytes)"));
            var best = s.BestSingle;
            foreach (var m in s.Methods)
            {
                var weights = string.Join(" ", m.MeanWeights.Select(w => w.ToString("F2", c)));
                var versus = bytesFirst ? m.BitsPerByte / best.BitsPerByte - 1 : m.Perplexity / best.Perplexity - 1;
                output.WriteLine(string.Create(c, $"  {m.Method,-40} {Figures(m.Perplexity, m.BitsPerByte)}  ({versus,7:+0.0%;-0.0%;0.0%} vs best single)  weights [{weights}]"));
                if (m.Diagnostics is { } d)
                    output.WriteLine("    " + string.Join(", ", d.Select(p => string.Create(c, $"{p.Key} {p.Value:G4}"))));
            }
        }
        foreach (var r in report.Routing)
        {
            var per = string.Join(", ", r.PerDomain.Select(p => $"{p.Key} {p.Value.Correct}/{p.Value.Prompts}"));
            output.WriteLine(string.Create(c, $"== routing by {r.Method}: {r.Correct}/{r.Prompts} = {r.Accuracy:P1} ({per})"));
        }
        output.WriteLine(string.Create(c, $"({report.Seconds:F0} s)"));
    }
}
