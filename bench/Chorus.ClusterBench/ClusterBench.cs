using System.Diagnostics;
using Chorus.Api;
using Chorus.Bench.Engine;
using Chorus.Llama;
using Grpc.Core;
using Grpc.Net.Client;

namespace Chorus.Bench.Cluster;

/// <summary>
/// Fused step latency ÷ the slowest member's single-step latency (2 and 4 members, in-process and across two silo
/// processes), and aggregate tokens/s for 1, 4 and 16 concurrent sessions.
/// Usage: cluster [--tokens N] [--threads N] [--top-k N (members send top-k; default: the method's full logits)] [--out DIR]
///        [--size small|large] [--members 2,4] [--gpu (every model on GPU 0, all layers; with CHORUS_LLAMA_LIB_DIR = a CUDA build)] [--in-process-only]
///        [--priority normal|medium|high|realtime (the silos' Chorus:Models:N:ThreadPriority; the floor is measured at normal)]
///        [--no-concurrent (skip the 1/4/16 concurrent sessions: the fused step and its floor only, for before/after rounds)]
/// </summary>
public static class ClusterBench
{
    private static int _topK = -1;
    private static bool _gpu;

    /// <summary>The silos' decode thread priority (--priority).</summary>
    internal static DecodePriority Priority { get; private set; }

    /// <summary>GPU 0 for every model when --gpu was given.</summary>
    internal static int? Gpu => _gpu ? 0 : null;

    private static LlamaModelOptions ModelOptions => new() { GpuLayers = _gpu ? -1 : 0 };

    private const string Prompt = "The history of the river valley begins with the first farmers who settled along its banks, and";

    public static async Task<int> RunAsync(string[] args)
    {
        var tokens = Arg(args, "--tokens", 32);
        var threads = Arg(args, "--threads", 1);
        _topK = Arg(args, "--top-k", -1);
        _gpu = args.Contains("--gpu");
        Priority = Enum.Parse<DecodePriority>(StrArg(args, "--priority", "normal"), ignoreCase: true);
        var size = StrArg(args, "--size", "small");
        var memberCounts = StrArg(args, "--members", "2,4").Split(',').Select(int.Parse).ToArray();
        var dir = StrArg(args, "--out", Path.Combine(Path.GetTempPath(), "chorus-bench-models"));
        Directory.CreateDirectory(dir);
        LlamaBackend.Initialize();
        var paths = new List<string>();
        for (var i = 0; i < memberCounts.Max(); i++) paths.Add(await BenchModels.EnsureAsync(size, dir, seedOffset: (ulong)i));
        Console.WriteLine($"# cluster benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  threads/model={threads}  tokens={tokens}  size={size}  {(_gpu ? "GPU 0" : "CPU")}  members send: {(_topK > 0 ? $"top-{_topK}" : "full logits")}  silo decode priority: {Priority}");

        var single = paths.Select(p => SingleStepMs(p, tokens, threads)).ToArray();
        var concurrentIdeal = memberCounts.ToDictionary(k => k, k => ConcurrentStepMs(paths.Take(k).ToList(), tokens, threads));
        Console.WriteLine($"single-member step: {string.Join(", ", single.Select(s => $"{s:F2}"))} ms; all members stepping at once without Orleans: {string.Join(", ", memberCounts.Select(k => $"K={k} {concurrentIdeal[k]:F2} ms"))}");
        Console.WriteLine();
        Console.WriteLine("| topology | members | fused step (ms) | ÷ slowest single step | ÷ members stepping at once, no cluster |");
        Console.WriteLine("|---|---|---|---|---|");

        await using (var inProcess = await InProcessSilo.StartAsync(paths, threads))
        {
            foreach (var k in memberCounts)
            {
                var fused = await FusedStepMs(inProcess.Client, k, tokens);
                Console.WriteLine($"| one silo, in-process | {k} | {fused:F2} | {fused / single.Take(k).Max():F2} | {fused / concurrentIdeal[k]:F2} |");
            }
            if (args.Contains("--no-concurrent")) return 0;
            Console.WriteLine();
            Console.WriteLine("| concurrent sessions (2 members, one silo) | tokens | wall (s) | aggregate tokens/s |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var n in new[] { 1, 4, 16 })
            {
                var (total, seconds) = await Concurrent(inProcess.Client, n, tokens);
                Console.WriteLine($"| {n} | {total} | {seconds:F2} | {total / seconds:F1} |");
            }
        }

        if (args.Contains("--in-process-only")) return 0; // (no dotnet host to start silo processes with, e.g. a self-contained GPU run)
        await using (var twoProcesses = await SiloProcesses.StartAsync(paths, threads))
        {
            Console.WriteLine();
            Console.WriteLine("| topology | members | fused step (ms) | ÷ slowest single step | ÷ members stepping at once, no cluster |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (var k in memberCounts)
            {
                var fused = await FusedStepMs(twoProcesses.Client, k, tokens);
                Console.WriteLine($"| two silo processes | {k} | {fused:F2} | {fused / single.Take(k).Max():F2} | {fused / concurrentIdeal[k]:F2} |");
            }
        }
        return 0;
    }

    /// <summary>Mean decode-step time of one model alone (one token appended per step).</summary>
    internal static double SingleStepMs(string path, int tokens, int threads)
    {
        using var model = LlamaModel.Load(path, ModelOptions);
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = 512, Threads = threads });
        var seq = runner.Open();
        var next = runner.Prefill(seq, model.Vocabulary.Tokenize(Prompt, addSpecial: true), DistributionRequest.Top(256)).Next;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < tokens; i++) next = runner.Append(seq, [next.ArgMax()], DistributionRequest.Top(256));
        return sw.Elapsed.TotalMilliseconds / tokens;
    }

    /// <summary>All members stepping at once on their own threads, no Orleans: the floor this hardware allows.</summary>
    internal static double ConcurrentStepMs(List<string> paths, int tokens, int threads)
    {
        var models = paths.Select(p => LlamaModel.Load(p, ModelOptions)).ToList();
        var runners = models.Select(m => new ModelRunner(m, new LlamaContextOptions { ContextSize = 512, Threads = threads })).ToList();
        try
        {
            var seqs = runners.Select(r => r.Open()).ToList();
            for (var k = 0; k < runners.Count; k++) runners[k].Prefill(seqs[k], models[k].Vocabulary.Tokenize(Prompt, addSpecial: true), DistributionRequest.Top(256));
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < tokens; i++)
                Parallel.For(0, runners.Count, new ParallelOptions { MaxDegreeOfParallelism = runners.Count }, k => runners[k].Append(seqs[k], [100 + i], DistributionRequest.Top(256)));
            return sw.Elapsed.TotalMilliseconds / tokens;
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }

    internal static async Task<double> FusedStepMs(Api.Chorus.ChorusClient client, int members, int tokens)
    {
        await Generate(client, members, 4); // warm: activations, vocabularies
        var finished = await Generate(client, members, tokens);
        return (finished.Timings.TotalMs - finished.Timings.PrefillMs) / Math.Max(1, finished.Usage.CompletionTokens);
    }

    private static async Task<(int Tokens, double Seconds)> Concurrent(Api.Chorus.ChorusClient client, int sessions, int tokens)
    {
        var sw = Stopwatch.StartNew();
        var done = await Task.WhenAll(Enumerable.Range(0, sessions).Select(_ => Generate(client, 2, tokens)));
        return (done.Sum(f => f.Usage.CompletionTokens), sw.Elapsed.TotalSeconds);
    }

    private static async Task<Finished> Generate(Api.Chorus.ChorusClient client, int members, int tokens)
    {
        var request = new GenerateRequest
        {
            Members = new Members(), Method = "uniform", Prompt = Prompt,
            Sampling = new Sampling { Temperature = 0 }, Limits = new Limits { MaxTokens = tokens },
        };
        request.Members.Models.AddRange(Enumerable.Range(0, members).Select(i => $"m{i}"));
        if (_topK >= 0) request.Params["top-k"] = _topK.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var call = client.Generate(request);
        Finished? finished = null;
        await foreach (var e in call.ResponseStream.ReadAllAsync())
            if (e.EventCase == GenerateEvent.EventOneofCase.Finished) finished = e.Finished;
        return finished ?? throw new InvalidOperationException("no Finished event");
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    internal static string StrArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    internal static GrpcChannel Channel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
}
