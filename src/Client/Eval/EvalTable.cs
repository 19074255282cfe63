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
            foreach (var a in s.Alone)
                output.WriteLine(string.Create(c, $"  {"single " + a.Model,-40} ppl {a.Perplexity,9:F2}  ({a.Tokens} tokens)"));
            var best = s.BestSingle.Perplexity;
            foreach (var m in s.Methods)
            {
                var weights = string.Join(" ", m.MeanWeights.Select(w => w.ToString("F2", c)));
                output.WriteLine(string.Create(c, $"  {m.Method,-40} ppl {m.Perplexity,9:F2}  ({m.Perplexity / best - 1,7:+0.0%;-0.0%} vs best single)  weights [{weights}]"));
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
