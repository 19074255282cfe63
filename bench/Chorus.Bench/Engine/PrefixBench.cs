using System.Diagnostics;
using Chorus.Llama;

namespace Chorus.Bench.Engine;

/// <summary>
/// The prefix cache on a growing chat, at the runner: each turn opens a sequence, prefills the whole conversation so far
/// (as an OpenAI client sends it), generates a reply greedily and releases the sequence; the next turn's prompt is that
/// conversation plus a new user message. Reports the prefill time of every turn with the cache off and on, interleaved
/// round by round, and the ratio at the last turn.
/// Usage: prefix [--size small|large] [--model FILE] [--turns 5] [--first 160] [--user 60] [--reply 32] [--slots 8]
///        [--context 2048] [--threads 2] [--rounds 3]
/// </summary>
public static class PrefixBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var turns = IntArg(args, "--turns", 5);
        var first = IntArg(args, "--first", 160);
        var user = IntArg(args, "--user", 60);
        var reply = IntArg(args, "--reply", 32);
        var slots = IntArg(args, "--slots", 8);
        var context = IntArg(args, "--context", 2048);
        var threads = IntArg(args, "--threads", 2);
        var rounds = IntArg(args, "--rounds", 3);
        var path = StrArg(args, "--model")
            ?? await BenchModels.EnsureAsync(StrArg(args, "--size") ?? "large", Path.Combine(Path.GetTempPath(), "chorus-bench-models"));
        LlamaBackend.Initialize();
        using var model = LlamaModel.Load(path, new LlamaModelOptions());
        var options = new LlamaContextOptions { ContextSize = context, MaxSequences = slots, BatchSize = 512, Threads = threads };
        using var off = new ModelRunner(model, options);
        using var on = new ModelRunner(model, options, prefixCache: new PrefixCacheOptions());
        Console.Error.WriteLine($"# prefix cache: {Path.GetFileName(path)}  turns={turns} first={first} user={user} reply={reply}  slots={slots} context={context} threads={threads}  {LlamaBackend.SystemInfo}");
        var times = new Dictionary<string, List<double[]>> { ["off"] = [], ["on"] = [] };
        for (var round = 0; round < rounds + 1; round++) // round 0 warms up
        {
            // a new conversation each round, so the cache never holds it before its first turn
            foreach (var (name, runner) in new[] { ("off", off), ("on", on) })
            {
                var ms = Chat(runner, new Random(1000 + round), turns, first, user, reply);
                if (round > 0) times[name].Add(ms);
            }
        }
        for (var t = 0; t < turns; t++)
        {
            var offMs = times["off"].Average(r => r[t]);
            var onMs = times["on"].Average(r => r[t]);
            Console.WriteLine($"{{\"turn\":{t + 1},\"prompt_tokens\":{first + t * (reply + user)},\"prefill_ms_off\":{offMs:F1},\"prefill_ms_on\":{onMs:F1},\"speedup\":{offMs / onMs:F2}}}");
        }
        var (hits, prefilled) = on.PrefixStatistics;
        Console.Error.WriteLine($"# cache on: {hits} of {prefilled} prompt tokens served from the cache ({100.0 * hits / prefilled:F0} %)");
        return 0;
    }

    // One conversation; returns each turn's prefill time in milliseconds.
    private static double[] Chat(ModelRunner runner, Random random, int turns, int first, int user, int reply)
    {
        var vocabulary = runner.Vocabulary.Count;
        var conversation = new List<int>();
        if (runner.Vocabulary.Bos >= 0) conversation.Add(runner.Vocabulary.Bos);
        AddRandom(conversation, random, vocabulary, first - conversation.Count);
        var ms = new double[turns];
        for (var t = 0; t < turns; t++)
        {
            var sequence = runner.Open();
            try
            {
                var started = Stopwatch.GetTimestamp();
                var next = runner.Apply([new SequenceEdit(sequence, 0, [.. conversation], DistributionRequest.Top(1))])[0].Next;
                ms[t] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                for (var i = 0; i < reply; i++)
                {
                    var token = next.ArgMax();
                    conversation.Add(token);
                    next = runner.Append(sequence, [token], DistributionRequest.Top(1));
                }
            }
            finally
            {
                runner.Release(sequence);
            }
            AddRandom(conversation, random, vocabulary, user);
        }
        return ms;
    }

    private static void AddRandom(List<int> tokens, Random random, int vocabulary, int count)
    {
        for (var i = 0; i < count; i++) tokens.Add(random.Next(3, vocabulary));
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static string? StrArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
