using System.Globalization;
using System.Text;

namespace Chorus.Bench.Load.Report;

/// <summary>
/// The run as markdown: every cell; then, per workload and load, each server beside the reference (the first
/// llama-server target, else the first target) with per-round ratios; TTFT by request class (chat turn, prompt size);
/// and, for a server run at several closed loads, its throughput against the first.
/// </summary>
internal static class MarkdownReport
{
    public static string Write(string header, IReadOnlyList<ServerTarget> targets, IReadOnlyList<CellResult> cells)
    {
        var md = new StringBuilder();
        md.AppendLine(header).AppendLine();
        Cells(md, cells);
        var reference = targets.FirstOrDefault(t => t.Kind == ServerKind.Llama) ?? targets[0];
        foreach (var group in cells.GroupBy(c => (c.Workload, c.Load)))
        {
            var servers = group.Select(c => c.Server).Distinct().ToList();
            if (servers.Count > 1 && servers.Contains(reference.Name)) Compare(md, group.Key.Workload, group.Key.Load, reference.Name, servers, [.. group]);
            if (group.SelectMany(c => c.Classes).Select(c => c.Class).Distinct().Count() > 1) Classes(md, group.Key.Workload, group.Key.Load, servers, [.. group]);
        }
        Scaling(md, cells);
        return md.ToString();
    }

    private static void Cells(StringBuilder md, IReadOnlyList<CellResult> cells)
    {
        md.AppendLine("| round | server | workload | load | ok / failed | tokens/s | TTFT p50 / p99 (ms) | ITL p50 / p99 (ms) | e2e p50 / p99 (s) | seqs/decode | prefix hit | prompt tokens | load avg |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var c in cells)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {c.Round} | {c.Server} | {c.Workload} | {c.Load} | {c.Ok} / {c.Failed} | {F(c.TokensPerSecond, "0")} | {Ms(c.TtftP50Ms)} / {Ms(c.TtftP99Ms)} | {Ms(c.ItlP50Ms)} / {Ms(c.ItlP99Ms)} | {F(c.E2eP50S, "0.00")} / {F(c.E2eP99S, "0.00")} | {F(c.ServerSide.RowsPerDecode, "0.00")} | {Hit(c)} | {F(c.MeanPromptTokens, "0")} | {c.LoadAverage} |");
        foreach (var c in cells.Where(c => c.Errors.Count > 0))
            md.AppendLine().Append(CultureInfo.InvariantCulture, $"- round {c.Round}, {c.Server}, {c.Workload}, {c.Load}: ").AppendJoin("; ", c.Errors);
        md.AppendLine();
    }

    private static readonly (string Name, Func<CellResult, double?> Value, string Format)[] Figures =
    [
        ("tokens/s (aggregate)", c => c.TokensPerSecond, "0"),
        ("requests/s", c => c.RequestsPerSecond, "0.0"),
        ("TTFT p50 (ms)", c => c.TtftP50Ms, "0"),
        ("TTFT p99 (ms)", c => c.TtftP99Ms, "0"),
        ("inter-token p50 (ms)", c => c.ItlP50Ms, "0.0"),
        ("inter-token p99 (ms)", c => c.ItlP99Ms, "0.0"),
        ("e2e p50 (s)", c => c.E2eP50S, "0.00"),
        ("e2e p99 (s)", c => c.E2eP99S, "0.00"),
        ("sequences per decode", c => c.ServerSide.RowsPerDecode, "0.00"),
        ("prefix hit (% of prompt tokens)", c => c.ServerSide.PrefixHitShare * 100, "0"),
    ];

    private static void Compare(StringBuilder md, string workload, string load, string reference, List<string> servers, List<CellResult> cells)
    {
        var others = servers.Where(s => s != reference).ToList();
        md.AppendLine(CultureInfo.InvariantCulture, $"### {workload}, {load}: side by side (ranges over rounds; ratio per round)").AppendLine();
        md.Append("| figure | ").Append(reference).Append(" | ").AppendJoin(" | ", others.Select(o => $"{o} | {o} ÷ {reference}")).AppendLine(" |");
        md.Append("|---|---|").AppendJoin("", others.Select(_ => "---|---|")).AppendLine();
        foreach (var (name, value, format) in Figures)
        {
            md.Append("| ").Append(name).Append(" | ").Append(Range(cells.Where(c => c.Server == reference).Select(value), format));
            foreach (var other in others)
            {
                // each round's ratio: the two servers ran one after the other, under the same load of the machine
                var ratios = cells.Where(c => c.Server == other).Select(o => cells.FirstOrDefault(r => r.Server == reference && r.Round == o.Round) is { } r
                    && value(o) is { } a && value(r) is { } b && b != 0 ? a / b : (double?)null);
                var range = Range(ratios, "0.00");
                md.Append(" | ").Append(Range(cells.Where(c => c.Server == other).Select(value), format)).Append(" | ").Append(range == "n/a" ? range : range + "×");
            }
            md.AppendLine(" |");
        }
        md.AppendLine();
    }

    private static void Classes(StringBuilder md, string workload, string load, List<string> servers, List<CellResult> cells)
    {
        var classes = cells.SelectMany(c => c.Classes).Select(c => c.Class).Distinct().Order(ClassOrder.Instance).ToList();
        md.AppendLine(CultureInfo.InvariantCulture, $"### {workload}, {load}: TTFT p50 by request (ms, median over rounds; mean prompt tokens)").AppendLine();
        md.Append("| request | ").AppendJoin(" | ", servers).AppendLine(" |");
        md.Append("|---|").AppendJoin("", servers.Select(_ => "---|")).AppendLine();
        foreach (var cls in classes)
        {
            md.Append("| ").Append(cls);
            foreach (var server in servers)
            {
                var figures = cells.Where(c => c.Server == server).SelectMany(c => c.Classes).Where(c => c.Class == cls).ToList();
                md.Append(" | ").Append(F(Percentiles.Median(figures.Select(f => f.TtftP50Ms).OfType<double>()), "0"))
                    .Append(" (").Append(F(figures.Count > 0 ? figures.Average(f => f.MeanPromptTokens) : null, "0")).Append(')');
            }
            md.AppendLine(" |");
        }
        md.AppendLine();
    }

    private static void Scaling(StringBuilder md, IReadOnlyList<CellResult> cells)
    {
        foreach (var group in cells.GroupBy(c => (c.Server, c.Workload)))
        {
            var loads = group.Select(c => c.Load).Distinct().ToList();
            if (loads.Count < 2) continue;
            md.AppendLine(CultureInfo.InvariantCulture, $"### {group.Key.Server}, {group.Key.Workload}: aggregate tokens/s by load (median over rounds)").AppendLine();
            md.AppendLine("| load | tokens/s | × the first load | TTFT p50 (ms) | inter-token p50 (ms) |").AppendLine("|---|---|---|---|---|");
            var first = Percentiles.Median(group.Where(c => c.Load == loads[0]).Select(c => c.TokensPerSecond));
            foreach (var load in loads)
            {
                var at = group.Where(c => c.Load == load).ToList();
                var rate = Percentiles.Median(at.Select(c => c.TokensPerSecond));
                md.AppendLine(CultureInfo.InvariantCulture, $"| {load} | {F(rate, "0")} | {F(rate / first, "0.00")} | {F(Percentiles.Median(at.Select(c => c.TtftP50Ms).OfType<double>()), "0")} | {F(Percentiles.Median(at.Select(c => c.ItlP50Ms).OfType<double>()), "0.0")} |");
            }
            md.AppendLine();
        }
    }

    private static string Range(IEnumerable<double?> values, string format)
    {
        var known = values.OfType<double>().ToList();
        if (known.Count == 0) return "n/a";
        var (min, max) = (known.Min(), known.Max());
        return F(min, format) == F(max, format) ? F(min, format) : $"{F(min, format)}–{F(max, format)}";
    }

    private static string Hit(CellResult c) => c.ServerSide.PrefixHitShare is { } share
        ? $"{share * 100:0}% ({c.ServerSide.PrefixHitTokens:0} tok)"
        : "n/a";

    private static string Ms(double? ms) => ms is null ? "n/a" : F(ms, ms < 100 ? "0.0" : "0");

    private static string F(double? value, string format) => value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    /// <summary>"turn 2" before "turn 10"; other classes by name.</summary>
    private sealed class ClassOrder : IComparer<string>
    {
        public static readonly ClassOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            static (string, int) Key(string? s) =>
                s is not null && s.StartsWith("turn ", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), CultureInfo.InvariantCulture, out var n) ? ("turn", n) : (s ?? "", 0);
            var (a, b) = (Key(x), Key(y));
            var byName = string.CompareOrdinal(a.Item1, b.Item1);
            return byName != 0 ? byName : a.Item2.CompareTo(b.Item2);
        }
    }
}
