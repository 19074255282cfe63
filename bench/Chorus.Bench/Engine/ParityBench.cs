using System.Diagnostics;
using Chorus.Llama;

namespace Chorus.Bench.Engine;

/// <summary>
/// The Chorus side of the llama.cpp parity bench (bench/parity/run-parity.sh runs llama-bench beside it): the same
/// measurements as <c>llama-bench -p N -n M</c> on one model through <see cref="ModelRunner"/> — prefill of N tokens
/// into an empty sequence (without per-position evidence, then with it), and M single-token decode steps from an empty
/// sequence — each repeated and averaged after one warm-up, as llama-bench does.
/// (It compiles against older trees too: run-parity.sh --base builds it into a past commit for before/after.)
/// Usage: parity --model FILE [--threads 2] [--slots 1] [--context N] [--prompt 256] [--tokens 128] [--reps 5] [--size small|large --out DIR]
/// </summary>
public static class ParityBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var threads = IntArg(args, "--threads", 2);
        var promptTokens = IntArg(args, "--prompt", 256);
        var decodeTokens = IntArg(args, "--tokens", 128);
        var reps = IntArg(args, "--reps", 5);
        var path = StrArg(args, "--model", null)
            ?? await BenchModels.EnsureAsync(StrArg(args, "--size", "small")!, StrArg(args, "--out", Path.Combine(Path.GetTempPath(), "chorus-bench-models"))!);
        LlamaBackend.Initialize();
        using var model = LlamaModel.Load(path, new LlamaModelOptions());
        // --slots/--context as a silo serves a model (ModelOptions: 8 slots, the trained context) to see what that costs
        var slots = IntArg(args, "--slots", 1);
        var context = IntArg(args, "--context", promptTokens + decodeTokens);
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = context, MaxSequences = slots, BatchSize = 512, Threads = threads });
        var random = new Random(1);
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => random.Next(model.Vocabulary.Count)).ToArray();
        var first = model.Vocabulary.Bos >= 0 ? model.Vocabulary.Bos : prompt[0];

        var rows = new (string Test, Func<double> Run)[]
        {
            ($"pp{promptTokens}", () => Prefill(runner, prompt, evidence: false)),
            ($"pp{promptTokens}+evidence", () => Prefill(runner, prompt, evidence: true)),
            ($"tg{decodeTokens}", () => Decode(runner, first, decodeTokens, DistributionRequest.Top(1))),
            ($"tg{decodeTokens}+full-logits", () => Decode(runner, first, decodeTokens, DistributionRequest.Full)),
        };
        Console.Error.WriteLine($"# chorus parity: {Path.GetFileName(path)}  threads={threads}  slots={slots} context={context}  {runner.Context.BatchSize}/{runner.Context.MicroBatchSize} batch/ubatch  {LlamaBackend.SystemInfo}");
        foreach (var (test, run) in rows)
        {
            run(); // warm-up, as llama-bench
            var rates = new double[reps];
            for (var i = 0; i < reps; i++) rates[i] = run();
            var mean = rates.Average();
            var sd = Math.Sqrt(rates.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, reps - 1));
            // one line per test, the same fields as llama-bench's jsonl (test, avg_ts, stddev_ts)
            Console.WriteLine($"{{\"engine\":\"chorus\",\"test\":\"{test}\",\"n_threads\":{threads},\"avg_ts\":{mean:F2},\"stddev_ts\":{sd:F2}}}");
        }
        return 0;
    }

    private static double Prefill(ModelRunner runner, int[] prompt, bool evidence)
    {
        var sequence = runner.Open();
        try
        {
            var started = Stopwatch.GetTimestamp();
            var result = runner.Apply([new SequenceEdit(sequence, 0, prompt, DistributionRequest.Top(1)) { TokenLogProbs = evidence }])[0];
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (Environment.GetEnvironmentVariable("CHORUS_PARITY_SPLIT") == "1")
                Console.Error.WriteLine($"  prefill evidence={evidence}: {elapsed.TotalMilliseconds:F1} ms = decode {result.DecodeMilliseconds:F1} + read {result.ReadMilliseconds:F1}");
            return prompt.Length / elapsed.TotalSeconds;
        }
        finally
        {
            runner.Release(sequence);
        }
    }

    private static double Decode(ModelRunner runner, int first, int tokens, DistributionRequest request)
    {
        var sequence = runner.Open();
        try
        {
            var token = first;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < tokens; i++)
                token = runner.Append(sequence, [token], request).ArgMax();
            return tokens / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        finally
        {
            runner.Release(sequence);
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static string? StrArg(string[] args, string name, string? fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
