using Chorus.Api;
using Chorus.Bench.Engine;
using Chorus.Grains;
using Chorus.Llama;
using Chorus.Silo;
using Grpc.Core;

namespace Chorus.Bench.Cluster;

/// <summary>
/// Speculative vs plain fused generation, side by side in one in-process silo: greedy tokens/s (total − prefill),
/// acceptance rate and whether the tokens are identical, for K = 2/4/8, on the zoo's domain pack (three experts,
/// packllm-sim, full logits; drafted by general-small or by the main member) and on a synthetic pack (two ~20M random
/// models, uniform; drafted by the main member). Rounds interleave the configurations; the median round is reported.
/// <c>--set ngram</c> runs prompt lookup instead (<c>drafter=ngram</c>, no drafting model) on the domain pack for C code,
/// drama, and a prompt that quotes itself, beside the main member drafting the same prompts.
/// <c>--set distilled</c> compares the drafters distilled from general-large + wiki-expert (uniform) and from the
/// weak-to-strong trio general-large + wiki-expert + general-small (proxy-tuning) (models/zoo/drafters,
/// models/distil-drafter.sh) with general-small and prompt lookup on the pack each was distilled from.
/// Usage: speculative [--tokens N] [--rounds N] [--threads N] [--ks 2,4,8] [--flash-attention auto|on|off] [--out DIR] [--size small|large (synthetic pack)]
///        [--set models|ngram|distilled] [--gpu (every model on GPU 0; with CHORUS_LLAMA_LIB_DIR = a CUDA build)]
/// </summary>
public static class SpeculativeBench
{
    private const string DomainPrompt = "The history of the city begins in the year";
    private const string SyntheticPrompt = "The history of the river valley begins with the first farmers who settled along its banks, and";
    private const string CodePrompt = "static int foo_init(struct foo *foo)\n{\n\tint ret;\n\n\tret = foo_alloc(foo);\n\tif (ret)\n\t\treturn ret;\n\tret = foo_";
    private const string DramaPrompt = "ROMEO:\nWhat light through yonder window breaks? It is the";
    private const string QuotingPrompt = "The river rose in the spring and the farmers moved their sheep to the hills above the town. " +
        "Say it again: The river rose in the spring and the";

    private const string Distilled = "large-wiki-drafter";
    private const string TrioDistilled = "trio-drafter";

    private sealed record Pack(string Name, string Method, string[] Members, string? Drafter, string Prompt, bool FullLogits);

    public static async Task<int> RunAsync(string[] args)
    {
        var tokens = Arg(args, "--tokens", 64);
        var rounds = Arg(args, "--rounds", 3);
        var threads = Arg(args, "--threads", 1);
        var ks = (StrArg(args, "--ks", "2,4,8")).Split(',').Select(int.Parse).ToArray();
        var dir = StrArg(args, "--out", Path.Combine(Path.GetTempPath(), "chorus-bench-models"));
        Directory.CreateDirectory(dir);
        LlamaBackend.Initialize();
        var zoo = FindZoo();
        var size = StrArg(args, "--size", "small");
        int? gpu = args.Contains("--gpu") ? 0 : null;
        bool? flash = StrArg(args, "--flash-attention", "auto") switch { "on" => true, "off" => false, _ => null };
        var synthetic = new[] { await BenchModels.EnsureAsync(size, dir, 0), await BenchModels.EnsureAsync(size, dir, 1), await BenchModels.EnsureAsync(size, dir, 2) };
        var set = StrArg(args, "--set", "models");
        var zooFiles = new[] { "wiki-expert", "shakespeare-expert", "linux-expert", "general-small", "general-large" }.Select(id => (Id: id, File: id + ".gguf"));
        if (set == "distilled") zooFiles = zooFiles.Concat(new[] { Distilled, TrioDistilled }.Select(id => (id, Path.Combine("drafters", id + ".gguf"))));
        var models = zooFiles
            .Select(m => new ModelOptions { Id = m.Id, Path = Path.Combine(zoo, m.File), Threads = threads, ContextSize = 256, MaxSequences = 4, Gpu = gpu, FlashAttention = flash })
            .Concat(synthetic.Select((p, i) => new ModelOptions { Id = $"s{i}", Path = p, Threads = threads, ContextSize = 512, MaxSequences = 4, Gpu = gpu, FlashAttention = flash }))
            .ToList();
        string[] domains = ["wiki-expert", "shakespeare-expert", "linux-expert"];
        string[] pair = ["general-large", "wiki-expert"];
        string[] trio = ["general-large", "wiki-expert", "general-small"];
        Pack[] packs = set == "distilled"
        ?
        [
            new("large + wiki, history, drafter general-small", "uniform", pair, "general-small", DomainPrompt, true),
            new($"large + wiki, history, drafter {Distilled}", "uniform", pair, Distilled, DomainPrompt, true),
            new("large + wiki, history, drafter ngram", "uniform", pair, "ngram", DomainPrompt, true),
            new("large + wiki, drama, drafter general-small", "uniform", pair, "general-small", DramaPrompt, true),
            new($"large + wiki, drama, drafter {Distilled}", "uniform", pair, Distilled, DramaPrompt, true),
            new("large + wiki, drama, drafter ngram", "uniform", pair, "ngram", DramaPrompt, true),
            new("trio proxy-tuning, history, drafter general-small", "proxy-tuning", trio, "general-small", DomainPrompt, true),
            new($"trio proxy-tuning, history, drafter {TrioDistilled}", "proxy-tuning", trio, TrioDistilled, DomainPrompt, true),
            new("trio proxy-tuning, history, drafter ngram", "proxy-tuning", trio, "ngram", DomainPrompt, true),
        ]
        : set == "ngram"
        ?
        [
            new("domains, code, drafter ngram", "packllm-sim", domains, "ngram", CodePrompt, true),
            new("domains, code, drafter main", "packllm-sim", domains, null, CodePrompt, true),
            new("domains, drama, drafter ngram", "packllm-sim", domains, "ngram", DramaPrompt, true),
            new("domains, drama, drafter main", "packllm-sim", domains, null, DramaPrompt, true),
            new("domains, self-quoting, drafter ngram", "packllm-sim", domains, "ngram", QuotingPrompt, true),
            new("domains, self-quoting, drafter main", "packllm-sim", domains, null, QuotingPrompt, true),
        ]
        :
        [
            new("domains, drafter general-small", "packllm-sim", ["wiki-expert", "shakespeare-expert", "linux-expert"], "general-small", DomainPrompt, true),
            new("domains, drafter main (wiki-expert)", "packllm-sim", ["wiki-expert", "shakespeare-expert", "linux-expert"], null, DomainPrompt, true),
            new("general-large + wiki-expert, drafter general-small", "uniform", ["general-large", "wiki-expert"], "general-small", DomainPrompt, true),
            new($"synthetic {size} × 2, drafter main", "uniform", ["s0", "s1"], null, SyntheticPrompt, true),
            new($"synthetic {size} × 3, drafter main", "uniform", ["s0", "s1", "s2"], null, SyntheticPrompt, true),
        ];
        Console.WriteLine($"# speculative benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  threads/model={threads}  tokens={tokens}  rounds={rounds} (median)  {(gpu is null ? "CPU" : "GPU 0")}");
        var grpc = FreePorts.Next();
        var app = ChorusSiloHost.Build(["--Logging:LogLevel:Default=Warning"], o =>
        {
            o.Models = models;
            o.Cluster.GrpcPort = grpc;
            o.Cluster.SiloPort = FreePorts.Next();
            o.Cluster.GatewayPort = FreePorts.Next();
        });
        await app.StartAsync();
        try
        {
            using var channel = ClusterBench.Channel(grpc);
            var client = new Api.Chorus.ChorusClient(channel);
            Console.WriteLine();
            Console.WriteLine("| pack | K | tokens/s | × plain | accepted / drafted | rounds (drafted ahead) | identical tokens |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var pack in packs)
            {
                var configurations = new[] { 0 }.Concat(ks).ToArray();
                var speeds = configurations.ToDictionary(k => k, _ => new List<double>());
                var last = new Dictionary<int, (Finished F, List<int> Ids)>();
                await Generate(client, pack, 8, 0); // warm: activations, vocabularies, JIT
                foreach (var k in ks) await Generate(client, pack, 8, k);
                for (var r = 0; r < rounds; r++)
                    foreach (var k in configurations)
                    {
                        var (f, ids) = await Generate(client, pack, tokens, k);
                        speeds[k].Add(f.Usage.CompletionTokens / Math.Max(1e-9, (f.Timings.TotalMs - f.Timings.PrefillMs) / 1000));
                        last[k] = (f, ids);
                    }
                var plain = Median(speeds[0]);
                Console.WriteLine($"| {pack.Name} | plain | {plain:F1} | 1.00 | | {last[0].F.Usage.CompletionTokens} steps | |");
                foreach (var k in ks)
                {
                    var (f, ids) = last[k];
                    var t = f.Timings;
                    var rate = t.DraftedTokens > 0 ? 100.0 * t.AcceptedTokens / t.DraftedTokens : 0;
                    Console.WriteLine($"| {pack.Name} | {k} | {Median(speeds[k]):F1} | {Median(speeds[k]) / plain:F2} | {t.AcceptedTokens}/{t.DraftedTokens} ({rate:F0} %) | {t.Rounds} ({t.PipelinedRounds}) | {(ids.SequenceEqual(last[0].Ids) ? "yes" : "NO")} |");
                }
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        return 0;
    }

    private static async Task<(Finished, List<int>)> Generate(Api.Chorus.ChorusClient client, Pack pack, int tokens, int k)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Method = pack.Method, Prompt = pack.Prompt,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = tokens },
            Speculate = k, Drafter = k > 0 ? pack.Drafter ?? "" : "",
        };
        request.Members.Models.AddRange(pack.Members);
        if (pack.FullLogits) request.Params["top-k"] = "0";
        using var call = client.Generate(request);
        Finished? finished = null;
        var ids = new List<int>();
        await foreach (var e in call.ResponseStream.ReadAllAsync())
        {
            if (e.EventCase == GenerateEvent.EventOneofCase.Token && e.Token.TokenId >= 0) ids.Add(e.Token.TokenId);
            if (e.EventCase == GenerateEvent.EventOneofCase.Finished) finished = e.Finished;
        }
        return (finished ?? throw new InvalidOperationException("no Finished event"), ids);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string FindZoo()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var zoo = Path.Combine(dir.FullName, "models", "zoo");
            if (File.Exists(Path.Combine(zoo, "general-small.gguf"))) return zoo;
        }
        throw new DirectoryNotFoundException("models/zoo not found above the working directory: run from the repository");
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static string StrArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
