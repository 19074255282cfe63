using System.CommandLine;
using Chorus.Llama.Forge;
using Chorus.Llama.Merging;

namespace Chorus.Client.Commands;

/// <summary><c>chorus merge plan</c>: Model-GLUE's recipe — cluster by weight similarity, merge greedily, keep what the held-out text confirms.</summary>
internal static class MergePlanCommand
{
    public static Command Create(CommandContext context)
    {
        var models = new Option<string[]>("--model", "-m") { Description = "Candidate model (GGUF), repeatable", Arity = ArgumentArity.OneOrMore, Required = true };
        var heldOut = new Option<string>("--held-out") { Description = "Held-out text file; candidates and merges are scored in bits per byte on it", Required = true };
        var maxChars = new Option<int>("--max-chars") { Description = "Score only the first N characters of the held-out text (0 = all)", DefaultValueFactory = _ => 20_000 };
        var method = new Option<string>("--method") { Description = $"Merge method of each round: {string.Join(", ", MergeMethods.Names)}", DefaultValueFactory = _ => "linear" };
        var baseModel = new Option<string?>("--base") { Description = "task-arithmetic, ties, dare, dare-ties: the common base model" };
        var density = new Option<double?>("--density") { Description = "ties, dare, dare-ties: share of each task vector kept (default: ties 1 as mergekit, dare 0.5)" };
        var threshold = new Option<double>("--threshold") { Description = "Cluster models whose mean per-column weight cosine exceeds this", DefaultValueFactory = _ => 0.95 };
        var search = new Option<bool>("--search") { Description = "Search the coefficient in {0.1 … 0.9} each round (9 merges per round) instead of the running average" };
        var type = new Option<string>("--type") { Description = "Type of the merged matrices: f16, q8_0 or f32", DefaultValueFactory = _ => "f16" };
        var outDir = new Option<string>("--out-dir") { Description = "Folder for the kept merges", DefaultValueFactory = _ => "merge-plan" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("plan", "Model-GLUE's heuristic merge: cluster candidates by weight cosine, merge greedily, keep merges the held-out score confirms")
            { models, heldOut, maxChars, method, baseModel, density, threshold, search, type, outDir, threads, json, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var path = parse.GetValue(heldOut)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"held-out text '{path}' not found");
            var text = File.ReadAllText(path);
            var limit = parse.GetValue(maxChars);
            if (limit > 0 && text.Length > limit) text = text[..limit];
            var scorer = new HeldOutScorer(text, parse.GetValue(threads));
            var options = new MergePlanOptions(Path.GetFullPath(parse.GetValue(outDir)!))
            {
                Method = MergeMethods.Parse(parse.GetValue(method)!),
                BaseModel = parse.GetValue(baseModel),
                Density = parse.GetValue(density),
                SimilarityThreshold = parse.GetValue(threshold),
                SearchCoefficients = parse.GetValue(search),
                Type = SyntheticWeightTypes.Parse(parse.GetValue(type)!),
            };
            var quiet = parse.GetValue(json);
            var log = new SynchronousProgress<string>(line => { if (!quiet) context.Error.WriteLine(line); });
            var plan = MergePlanner.Plan(parse.GetValue(models)!, scorer.BitsPerByte, options, log, ct);
            if (quiet) context.Output.WriteLine(JsonOutput.Serialize(plan));
            else Print(context.Output, plan);
            return Task.FromResult(0);
        }));
        return command;
    }

    private static void Print(TextWriter output, MergePlan plan)
    {
        output.WriteLine("candidates (held-out bits per byte, best first):");
        foreach (var c in plan.Candidates) output.WriteLine($"  {Path.GetFileName(c.Path),-40} {c.BitsPerByte:F4}");
        for (var f = 0; f < plan.Families.Count; f++)
        {
            var family = plan.Families[f];
            output.WriteLine($"family {f + 1}: {string.Join(", ", family.Members.Select((m, i) => i == 0 ? Path.GetFileName(m) : $"{Path.GetFileName(m)} (cos {family.SimilarityToHead[i]:F3})"))}");
            foreach (var r in family.Rounds)
                output.WriteLine($"  + {Path.GetFileName(r.Candidate)} at {1 - r.Coefficient:0.##}: {r.BitsPerByte:F4} bits/byte, {(r.Kept ? "kept" : "dropped")}");
            output.WriteLine($"  result: {family.Result} ({family.ResultBitsPerByte:F4} bits/byte)");
        }
        output.WriteLine($"planned in {plan.Elapsed.TotalSeconds:F1} s");
    }
}
