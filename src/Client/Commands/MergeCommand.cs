using System.CommandLine;
using Chorus.Llama.Forge;
using Chorus.Llama.Merging;

namespace Chorus.Client.Commands;

/// <summary><c>chorus merge</c>: Model-GLUE's weight-space merges (linear, task arithmetic, TIES, DARE, DARE-TIES, SLERP) into a new GGUF.</summary>
internal static class MergeCommand
{
    public static Command Create(CommandContext context)
    {
        var method = new Option<string>("--method") { Description = $"Merge method: {string.Join(", ", MergeMethods.Names)}", DefaultValueFactory = _ => "linear" };
        var models = new Option<string[]>("--model", "-m") { Description = "Model to merge (GGUF), repeatable; the first gives metadata and tokenizer", Arity = ArgumentArity.ZeroOrMore };
        var baseModel = new Option<string?>("--base") { Description = "task-arithmetic, ties, dare, dare-ties: the model the others were fine-tuned from" };
        var weights = new Option<double[]>("--weight", "-w") { Description = "Weight per --model, repeatable; negative subtracts a task vector (default: equal, summing to 1; slerp: t = w2 / (w1 + w2))", Arity = ArgumentArity.ZeroOrMore };
        var density = new Option<double?>("--density") { Description = "ties, dare, dare-ties: share of each task vector kept (default: ties 1 as mergekit, dare 0.5)" };
        var normalize = new Option<bool?>("--normalize") { Description = "linear, task-vector methods: divide by the contributing weights (default: mergekit's per method)" };
        var lambda = new Option<double>("--lambda") { Description = "task-vector methods: scale of the mixed task vector", DefaultValueFactory = _ => 1.0 };
        var rescale = new Option<bool?>("--rescale") { Description = "ties, dare, dare-ties: rescale thinned task vectors (dare: by 1/density; ties: to the L1 norm)" };
        var t = new Option<string[]>("--t") { Description = "slerp: t per tensor or layer, repeatable, first match wins: 0.5, a gradient 0,0.5,1 over the layers, or FILTER=VALUES (e.g. attn=0,0.5,1)", Arity = ArgumentArity.ZeroOrMore };
        var seed = new Option<ulong>("--seed") { Description = "dare, dare-ties: seed of the drop masks", DefaultValueFactory = _ => 1UL };
        var type = new Option<string>("--type") { Description = "Output type of the matrices: f16, q8_0 or f32 (vectors stay f32)", DefaultValueFactory = _ => "f16" };
        var output = new Option<string?>("--out", "-o") { Description = "Output .gguf path" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("merge", "Merge models of one architecture in weight space into a new GGUF (Model-GLUE; mergekit's semantics)")
            { method, models, baseModel, weights, density, normalize, lambda, rescale, t, seed, type, output, json, verbose };
        command.Subcommands.Add(MergePlanCommand.Create(context));
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), () =>
        {
            var request = new MergeRequest(MergeMethods.Parse(parse.GetValue(method)!), parse.GetValue(models) ?? [], parse.GetValue(output) ?? "")
            {
                BaseModel = parse.GetValue(baseModel),
                Weights = parse.GetValue(weights) is { Length: > 0 } w ? w : null,
                Density = parse.GetValue(density),
                Normalize = parse.GetValue(normalize),
                Lambda = parse.GetValue(lambda),
                Rescale = parse.GetValue(rescale),
                SlerpT = parse.GetValue(t) is { Length: > 0 } ts ? SlerpSchedule.Parse(ts) : null,
                Seed = parse.GetValue(seed),
                Type = SyntheticWeightTypes.Parse(parse.GetValue(type)!),
            };
            var quiet = parse.GetValue(json);
            var progress = new SynchronousProgress<ForgeProgress>(p =>
            {
                if (!quiet) context.Error.Write($"\rmerging {p.TensorsWritten}/{p.TensorCount} tensors, {p.Fraction:P0}   ");
            });
            var merged = ModelMerger.Merge(request, progress, ct);
            if (!quiet) context.Error.WriteLine();
            if (quiet)
            {
                context.Output.WriteLine(JsonOutput.Serialize(new
                {
                    path = merged.Path, method = merged.Method.ToText(), weights = request.EffectiveWeights(), tensors = merged.TensorCount,
                    parameters = merged.Parameters, bytes = merged.FileBytes, seconds = merged.Elapsed.TotalSeconds,
                }));
            }
            else
            {
                context.Output.WriteLine($"wrote {merged.Path}: {merged.Method.ToText()} merge of {request.Models.Count} models " +
                    $"(weights {string.Join(", ", request.EffectiveWeights().Select(x => x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))}), " +
                    $"{merged.TensorCount} tensors, {merged.FileBytes / 1048576.0:F1} MiB in {merged.Elapsed.TotalSeconds:F1} s");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
