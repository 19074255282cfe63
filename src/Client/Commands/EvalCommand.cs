using System.CommandLine;
using System.Diagnostics;
using Chorus.Client.Cluster;
using Chorus.Client.Eval;
using Chorus.Llama;

namespace Chorus.Client.Commands;

/// <summary>
/// <c>chorus eval</c>: perplexity of every zoo member and every applicable fusion method on the corpora's test splits and
/// on a mixed text, through an in-process cluster's Score RPC; mixture routing accuracy; an SVG of member weights.
/// </summary>
internal static class EvalCommand
{
    private static readonly string[] Domains = ["wiki", "shakespeare", "linux"];
    private static readonly string[] SameVocabularyMethods = ["uniform", "top1-ppl", "packllm-sim", "packllm-opt", "mixture", "online"];
    private static readonly string[] HeterogeneousMethods = ["unite", "deepen", "top1-ppl", "packllm-sim", "packllm-opt", "gated", "byte"];
    private static readonly string[] WeakToStrongMethods = ["proxy-tuning", "dlf"];
    private static readonly string[] Suites = ["experts", "heterogeneous", "weak-to-strong", "routing"];

    public static Command Create(CommandContext context)
    {
        var zoo = new Option<string>("--zoo") { Description = "Folder of the zoo's GGUF files (models/README.md)", DefaultValueFactory = _ => "models/zoo" };
        var corpora = new Option<string>("--corpora") { Description = "Folder with wiki/, shakespeare/, linux/ test.txt (default: $CHORUS_CORPORA, else data/corpora)", DefaultValueFactory = _ => DefaultCorpora() };
        var suites = new Option<string>("--suites") { Description = $"Comma-separated: {string.Join(", ", Suites)}", DefaultValueFactory = _ => string.Join(",", Suites) };
        var windows = new Option<int>("--windows") { Description = "Windows per test split", DefaultValueFactory = _ => 8 };
        var chars = new Option<int>("--chars") { Description = "Characters per window (shortened to fit the 256-token context)", DefaultValueFactory = _ => 900 };
        var mixedChars = new Option<int>("--mixed-chars") { Description = "Length of the mixed text (2–8 kB chunks of the test splits)", DefaultValueFactory = _ => 24000 };
        var prompts = new Option<int>("--prompts") { Description = "Routing prompts per domain", DefaultValueFactory = _ => 34 };
        var seed = new Option<int>("--seed") { Description = "Seeds the mixed text", DefaultValueFactory = _ => 7 };
        var svg = new Option<string?>("--svg") { Description = "Write the member-weight picture over the mixed text (packllm-sim) to this SVG file" };
        var parameters = new Option<string[]>("--param") { Description = "KEY=VALUE method parameter sent with every request (e.g. top-k=0 for full logits)", AllowMultipleArgumentsPerToken = false };
        var methods = new Option<string?>("--methods") { Description = "Comma-separated: only these fusion methods (default: every applicable one)" };
        var jsonFile = new Option<string?>("--json-file") { Description = "Also write the JSON report to this file" };
        var textFiles = new Option<string[]>("--text-file") { Description = "Score this text instead of the corpora's test splits and mixed text (repeatable; each cut into consecutive windows, a text set named after the file)", AllowMultipleArgumentsPerToken = false };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var command = new Command("eval", "Perplexity of the zoo's members and fusion methods on test splits and a mixed text, routing accuracy, weight picture")
            { zoo, corpora, suites, windows, chars, mixedChars, prompts, seed, svg, methods, parameters, jsonFile, textFiles, threads, json, verbose };
        command.SetAction((parse, ct) => context.Guard(parse.GetValue(verbose), async () =>
        {
            var clock = Stopwatch.StartNew();
            var zooDir = parse.GetValue(zoo)!;
            string Model(string name)
            {
                var path = Path.Combine(zooDir, name + ".gguf");
                return File.Exists(path) ? path : throw new FileNotFoundException($"zoo model '{path}' not found; build the zoo with models/build.sh or pass --zoo");
            }
            var selected = parse.GetValue(suites)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var s in selected.Where(s => !Suites.Contains(s) && s != MergingSuite.Name))
                throw new ArgumentException($"unknown suite '{s}' (known: {string.Join(", ", Suites)}, and opt-in {MergingSuite.Name})");
            var only = parse.GetValue(methods)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string[] Pick(string[] applicable) => only is null ? applicable : [.. applicable.Where(only.Contains)];
            var experts = Domains.Select(d => Model($"{d}-expert")).ToArray();
            var files = new List<string>(experts) { Model("wiki-expert-gpt2"), Model("general-large"), Model("general-small"), Model("shakespeare-small-expert") };
            var splits = Domains.Select(d => (Domain: d, Text: ReadSplit(parse.GetValue(corpora)!, d))).ToArray();
            var merged = selected.Contains(MergingSuite.Name) ? MergingSuite.Merge(Model, Path.Combine(Path.GetTempPath(), "chorus-eval-merging"), context.Error) : [];
            if (selected.Contains(MergingSuite.Name)) files.AddRange([Model(MergingSuite.Experts[0]), Model(MergingSuite.Experts[2]), .. merged]);

            // windows must fit every member's 256-token context in both vocabularies
            using var spm = LlamaModel.LoadVocabularyOnly(experts[0]);
            using var gpt2 = LlamaModel.LoadVocabularyOnly(Model("wiki-expert-gpt2"));
            var texts = new EvalTexts([spm.Vocabulary, gpt2.Vocabulary], 240);
            var perDomain = splits.ToDictionary(s => s.Domain, s => texts.Windows(s.Domain, s.Text, parse.GetValue(windows), parse.GetValue(chars)));
            var (mixedText, segments) = EvalTexts.Mixed(splits, parse.GetValue(mixedChars), parse.GetValue(seed));
            var mixed = texts.MixedWindows(mixedText, segments, parse.GetValue(chars));
            // the texts the experts and heterogeneous suites score: each test split and the mixed text, or the given files
            var givenTexts = parse.GetValue(textFiles) ?? [];
            List<(string Name, List<EvalText> Windows)> textSets = givenTexts.Length == 0
                ? [.. perDomain.Select(p => (p.Key, p.Value)), ("mixed", mixed)]
                : [.. givenTexts.Select(f => (Path.GetFileNameWithoutExtension(f), texts.MixedWindows(File.ReadAllText(f), [(0, int.MaxValue, "file")], parse.GetValue(chars))))];

            // byte: the cover trees' other tokenizations of a window can be longer than its canonical ≤ 240 tokens (an
            // out-of-domain member spreads its mass over finer splits); 512 lets them run (positions past the zoo's
            // 256-token training context extrapolate), and changes nothing for the methods that never reach 256
            var byteRun = selected.Contains("heterogeneous") && Pick(HeterogeneousMethods).Contains("byte");
            var target = new ClusterTarget { Models = files, ContextSize = byteRun ? 512 : 256, Threads = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : 1 };
            await using var connection = await ClusterConnection.OpenAsync(target, context.Error, ct);
            var runner = new EvalRunner(connection.Client, context.Error, ParseParameters(parse.GetValue(parameters) ?? []));
            var ids = files.Select(ModelIds.FromPath).ToArray();
            var expertIds = ids[..3];
            var scores = new List<TextSetScore>();
            var routing = new List<RoutingAccuracy>();
            var mixedWeights = new List<WindowWeights>();

            if (selected.Contains("experts"))
            {
                foreach (var (name, list) in textSets)
                    scores.Add(await runner.ScoreAsync("experts", name, expertIds, Pick(SameVocabularyMethods), list, (method, window, reply) =>
                    {
                        if (method == "packllm-sim" && name == "mixed" && givenTexts.Length == 0)
                            mixedWeights.Add(new WindowWeights(window.Offset, window.Text.Length, window.Domain, reply.Members.Select(m => m.Weight).ToArray()));
                    }, ct));
            }
            if (selected.Contains("heterogeneous"))
            {
                string[] members = [ids[3], expertIds[1], expertIds[2]];
                foreach (var (name, list) in textSets)
                    scores.Add(await runner.ScoreAsync("heterogeneous", name, members, Pick(HeterogeneousMethods), list, cancellationToken: ct));
            }
            if (selected.Contains("weak-to-strong"))
            {
                // roles by position: the large base model (main), the small expert, the small base; the expert's own
                // domain unless texts were given (then those, as the other suites do, so `chorus score` on a file compares)
                string[] members = [ids[4], ids[6], ids[5]];
                List<(string Name, List<EvalText> Windows)> weakToStrongTexts = givenTexts.Length == 0 ? [("shakespeare", perDomain["shakespeare"])] : textSets;
                foreach (var (name, list) in weakToStrongTexts)
                    scores.Add(await runner.ScoreAsync("weak-to-strong", name, members, Pick(WeakToStrongMethods), list, cancellationToken: ct));
            }
            if (selected.Contains("routing"))
            {
                var routingPrompts = splits.SelectMany(s => texts.Windows(s.Domain, s.Text, parse.GetValue(prompts), 400)).ToArray();
                routing.Add(await runner.RoutingAsync(expertIds, Domains, "mixture", routingPrompts, ct));
                routing.Add(await runner.RoutingAsync(expertIds, Domains, "top1-ppl", routingPrompts, ct));
            }

            if (selected.Contains(MergingSuite.Name))
                await MergingSuite.RunAsync(runner, [ids[7], ids[6], ids[8]], ids[5], ids[9..], [.. perDomain.Select(p => (p.Key, p.Value)), ("mixed", mixed)], scores, ct);

            var report = new EvalReport(scores, routing, expertIds, mixedWeights, clock.Elapsed.TotalSeconds);
            if (parse.GetValue(svg) is { } svgPath && mixedWeights.Count > 0)
            {
                await File.WriteAllTextAsync(svgPath, WeightPicture.Render("packllm-sim member weights over the mixed text (per 256-token window)", expertIds, Domains, mixedWeights), ct);
                await context.Error.WriteLineAsync($"wrote {svgPath}");
            }
            if (parse.GetValue(jsonFile) is { } jsonPath) await File.WriteAllTextAsync(jsonPath, JsonOutput.Serialize(report), ct);
            if (parse.GetValue(json)) await context.Output.WriteLineAsync(JsonOutput.Serialize(report));
            else EvalTable.Write(context.Output, report);
            return 0;
        }));
        return command;
    }

    private static Dictionary<string, string> ParseParameters(string[] values) => values.Select(v =>
    {
        var eq = v.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 ? (v[..eq], v[(eq + 1)..]) : throw new ArgumentException($"--param '{v}' is not KEY=VALUE");
    }).ToDictionary(p => p.Item1, p => p.Item2);

    /// <summary>The corpora committed under data/corpora (run from the repository root), unless CHORUS_CORPORA names others.</summary>
    private static string DefaultCorpora() =>
        Environment.GetEnvironmentVariable("CHORUS_CORPORA") is { Length: > 0 } custom ? custom : Path.Combine("data", "corpora");

    private static string ReadSplit(string corpora, string domain)
    {
        var path = Path.Combine(corpora, domain, "test.txt");
        return File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"test split '{path}' not found; pass --corpora DIR");
    }
}
