using System.Diagnostics;

namespace Chorus.Llama.Merging;

/// <summary>
/// Model-GLUE's heuristic merge (heuristic_merge.py): score every candidate on held-out text, order them best first, cluster
/// them by weight similarity to each family's head (the first member, so the best one), and within each family merge greedily:
/// round r merges the current model with the next member at weights [c, 1 − c] — c = (k+1)/(k+2) after k kept merges, the running
/// average, or the best of {0.1 … 0.9} with the search on — and keeps the merge only if the held-out score is not worse.
/// Deviations: the score is bits per byte (lower is better) where Model-GLUE uses task accuracy; a candidate that matches no
/// family starts its own (Model-GLUE's loop silently drops it, which leaves it out of every plan).
/// </summary>
public static class MergePlanner
{
    public static MergePlan Plan(IReadOnlyList<string> models, Func<string, double> score, MergePlanOptions options,
        IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(score);
        if (models.Count < 2) throw new ArgumentException($"a merge plan needs at least two candidates, {models.Count} given");
        if (options.Method.NeedsBase() && options.BaseModel is null)
            throw new ArgumentException($"{options.Method.ToText()} works on task vectors: give --base FILE");
        if (options.Method == MergeMethod.Slerp && options.BaseModel is not null)
            throw new ArgumentException("slerp does not use a base model");
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.WorkDirectory);
        var candidates = new List<MergeCandidate>();
        foreach (var path in models)
        {
            cancellationToken.ThrowIfCancellationRequested();
            candidates.Add(new MergeCandidate(path, score(path)));
            log?.Report($"{Path.GetFileName(path)}: {candidates[^1].BitsPerByte:F4} bits/byte");
        }
        candidates = [.. candidates.OrderBy(c => c.BitsPerByte)];
        var families = Cluster(candidates.Select(c => c.Path).ToList(), options.SimilarityThreshold, log);
        var results = new List<MergeFamily>();
        for (var f = 0; f < families.Count; f++)
            results.Add(MergeFamily(f, families[f], candidates, score, options, log, cancellationToken));
        return new MergePlan(candidates, results, clock.Elapsed);
    }

    /// <summary>Each model joins the first family whose head it resembles above the threshold, else heads a new one.</summary>
    internal static List<List<(string Path, double Similarity)>> Cluster(List<string> ordered, double threshold, IProgress<string>? log)
    {
        var families = new List<List<(string Path, double Similarity)>>();
        foreach (var model in ordered)
        {
            var joined = false;
            foreach (var family in families)
            {
                // a model of another shape or vocabulary is no merge candidate for this family at all
                var similarity = WeightSimilarity.ComputeIfMergeable(family[0].Path, model);
                log?.Report($"similarity {Path.GetFileName(family[0].Path)} ~ {Path.GetFileName(model)}: {(similarity is { } v ? v.ToString("F4") : "not mergeable")}");
                if (similarity is not { } s || s <= threshold) continue;
                family.Add((model, s));
                joined = true;
                break;
            }
            if (!joined) families.Add([(model, 1.0)]);
        }
        return families;
    }

    private static MergeFamily MergeFamily(int index, List<(string Path, double Similarity)> family, List<MergeCandidate> candidates,
        Func<string, double> score, MergePlanOptions options, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var current = family[0].Path;
        var best = candidates.First(c => c.Path == current).BitsPerByte;
        var kept = 0;
        var rounds = new List<MergeRound>();
        for (var r = 1; r < family.Count; r++)
        {
            var candidate = family[r].Path;
            double[] coefficients = options.SearchCoefficients ? [.. Enumerable.Range(1, 9).Select(i => i / 10.0)] : [(kept + 1.0) / (kept + 2.0)];
            (double C, double Score, string Path)? round = null;
            foreach (var c in coefficients)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var trial = Path.Combine(options.WorkDirectory, $"family{index + 1}-round{r}-c{c:0.0#}.gguf");
                ModelMerger.Merge(new MergeRequest(options.Method, [current, candidate], trial)
                {
                    BaseModel = options.BaseModel, Weights = [c, 1 - c], Density = options.Density, Seed = options.Seed, Type = options.Type,
                }, cancellationToken: cancellationToken);
                var s = score(trial);
                log?.Report($"family {index + 1}, round {r}: {c:0.##} × {Path.GetFileName(current)} + {1 - c:0.##} × {Path.GetFileName(candidate)}: {s:F4} bits/byte");
                // Model-GLUE keeps the best coefficient of the round, ties going to the later one (its '>=')
                if (round is null || s <= round.Value.Score)
                {
                    if (round is { } previous) File.Delete(previous.Path);
                    round = (c, s, trial);
                }
                else
                {
                    File.Delete(trial);
                }
            }
            var (coefficient, result, path) = round!.Value;
            var keep = result <= best;
            if (keep)
            {
                current = path;
                best = result;
                kept++;
            }
            else
            {
                File.Delete(path);
            }
            rounds.Add(new MergeRound(candidate, coefficient, result, keep, keep ? path : null));
        }
        return new MergeFamily(family.Select(m => m.Path).ToList(), family.Select(m => m.Similarity).ToList(), rounds, current, best);
    }
}
