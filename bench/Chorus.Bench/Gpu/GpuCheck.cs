using System.Globalization;
using Chorus.Fusion;
using Chorus.Llama;
using Chorus.Llama.Forge;

namespace Chorus.Bench.Gpu;

/// <summary>
/// The model runner's exactness checks (those of <c>ModelRunnerTests</c>) repeated on whichever llama.cpp backend is
/// loaded, with the models placed by <c>--gpu-layers</c> (-1 = all layers on the GPU), plus GPU-against-CPU agreement:
/// in-process (the same file loaded again with no GPU layers) and, with <c>--reference</c>, against logits another run
/// (e.g. the pinned CPU build) wrote with <c>--write-reference</c>. Every check prints PASS or FAIL with the measured
/// difference; the exit code is 1 when any check fails.
/// Usage: gpucheck [--gpu-layers N] [--threads N] [--flash-attn auto|on|off] [--out DIR] [--write-reference FILE] [--reference FILE] [--no-cpu-compare]
/// or: gpucheck --timing small,large [--gpu-layers N] [--flash-attn …] [--tokens N] [--prompt N] (see <see cref="DecodeTiming"/>).
/// </summary>
public static class GpuCheck
{
    /// <summary>The tests' tolerance (CPU, F32 KV cache); applied unchanged here, the measured differences are printed.</summary>
    private const float Tolerance = 2e-3f;

    /// <summary>The tests compare top-k log-probs to 5 decimal places.</summary>
    private const float TopKTolerance = 5e-6f;

    /// <summary>In-process CPU comparison prompts stay under 32 tokens: from 32 on, ggml offloads CPU-resident matmuls to the GPU.</summary>
    private static readonly string[] ShortPrompts = ["The quick brown fox jumps over the lazy dog", "Once upon a time", "int main(void) {", "The capital of France is"];

    private static readonly (string Tag, SyntheticModelSpec Spec)[] Models =
    [
        ("spm-small", new SyntheticModelSpec("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: 11)),
        ("gpt2-small", new SyntheticModelSpec("gpt-2", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 4, FeedForward: 192, ContextLength: 1024, Seed: 12)),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var gpuLayers = IntArg(args, "--gpu-layers", -1);
        var threads = IntArg(args, "--threads", 0);
        var flashAttention = StrArg(args, "--flash-attn") switch
        {
            null or "auto" => (bool?)null,
            "on" => true,
            "off" => false,
            var other => throw new ArgumentException($"--flash-attn takes auto, on or off, not '{other}'"),
        };
        var outDir = StrArg(args, "--out") ?? Path.Combine(Path.GetTempPath(), "chorus-gpucheck-models");
        if (StrArg(args, "--timing") is { } timing)
        {
            LlamaBackend.Initialize();
            return await DecodeTiming.RunAsync(timing.Split(','), outDir, gpuLayers, threads, flashAttention, IntArg(args, "--tokens", 128), IntArg(args, "--prompt", 512));
        }
        var writeReference = StrArg(args, "--write-reference");
        var referencePath = StrArg(args, "--reference");
        var cpuCompare = !args.Contains("--no-cpu-compare") && gpuLayers != 0;
        Directory.CreateDirectory(outDir);

        LlamaBackend.Initialize();
        Console.WriteLine($"# gpucheck  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  gpu-layers={gpuLayers}  threads={threads}  flash-attn={DecodeTiming.FlashText(flashAttention)}");
        Console.WriteLine($"# library directory: {LlamaBackend.LibraryDirectory}");
        Console.WriteLine($"# system info: {LlamaBackend.SystemInfo.Trim()}");
        Console.WriteLine($"# SupportsGpuOffload: {LlamaBackend.SupportsGpuOffload}");
        foreach (var d in LlamaBackend.Devices)
            Console.WriteLine($"# device {d.Name} ({d.Kind}): {d.Description}, {Mib(d.FreeBytes)} free of {Mib(d.TotalBytes)}");

        var results = new List<CheckResult>();
        var logits = new Dictionary<string, float[]>();
        foreach (var (tag, spec) in Models)
        {
            var path = Ensure(outDir, tag, spec);
            var freeBefore = GpuFreeBytes();
            using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = gpuLayers });
            var freeAfter = GpuFreeBytes();
            Console.WriteLine();
            Console.WriteLine($"## {tag}: {model.Description}, {model.ParameterCount / 1e6:F2}M parameters, {model.SizeBytes / 1e6:F1} MB, " +
                              $"{model.LayerCount} layers, vocabulary {model.Vocabulary.Count}" +
                              (freeBefore is { } b && freeAfter is { } a ? $", GPU memory taken by the weights: {Mib(b - Math.Min(b, a))}" : ""));
            var checks = new Checks(model, tag, threads, flashAttention, results);
            checks.Run("identical inputs give identical logits (bitwise)", checks.IdenticalInputs);
            checks.Run("batched step of 4 sequences == separate decodes", checks.BatchedStep);
            checks.Run("prefill log-probs == step-by-step decoding", checks.PrefillEqualsSteps);
            checks.Run("truncate + re-decode reproduces the logits", checks.TruncateAndRedecode);
            checks.Run("fork shares the prefix, diverges independently", checks.Fork);
            checks.Run("top-k distribution exact for its tokens", checks.TopK);
            checks.Run("slots limited and released", checks.Slots);
            checks.Run("text longer than the context refused, runner keeps working", checks.ContextOverflow);
            if (cpuCompare)
            {
                using var cpuModel = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
                checks.Run($"GPU (gpu-layers {gpuLayers}) vs CPU (gpu-layers 0) in-process, {ShortPrompts.Length} prompts", () => checks.AgainstOtherModel(cpuModel));
            }
            foreach (var (key, values) in checks.ReferenceLogits())
                logits[$"{tag}/{key}"] = values;
        }

        if (writeReference is not null)
        {
            WriteReference(writeReference, logits);
            Console.WriteLine($"\n# wrote {logits.Count} reference logit vectors to {writeReference}");
        }
        if (referencePath is not null)
            results.Add(CompareWithReference(referencePath, logits));

        var failed = results.Count(r => !r.Passed);
        Console.WriteLine();
        Console.WriteLine($"# {results.Count - failed} of {results.Count} checks passed{(failed > 0 ? $", {failed} FAILED" : "")}");
        return failed > 0 ? 1 : 0;
    }

    private sealed record CheckResult(string Model, string Name, bool Passed, string Detail);

    /// <summary>One model's checks; each returns (passed, what was measured).</summary>
    private sealed class Checks(LlamaModel model, string tag, int threads, bool? flashAttention, List<CheckResult> results)
    {
        public void Run(string name, Func<(bool Passed, string Detail)> check)
        {
            bool passed;
            string detail;
            try
            {
                (passed, detail) = check();
            }
            catch (Exception e)
            {
                (passed, detail) = (false, $"{e.GetType().Name}: {e.Message}");
            }
            results.Add(new CheckResult(tag, name, passed, detail));
            Console.WriteLine($"{(passed ? "PASS" : "FAIL")}  {tag,-10}  {name}: {detail}");
        }

        private ModelRunner NewRunner(int sequences = 4, int context = 256, LlamaModel? other = null) =>
            new(other ?? model, new LlamaContextOptions { ContextSize = context, MaxSequences = sequences, BatchSize = 512, Threads = threads, FullPrecisionCache = true, FlashAttention = flashAttention });

        private int[] Prompt(string text) => model.Vocabulary.Tokenize(text, addSpecial: true);

        public (bool, string) IdenticalInputs()
        {
            using var runner = NewRunner();
            var tokens = Prompt("The quick brown fox jumps over the lazy dog");
            var a = runner.Open();
            var b = runner.Open();
            var first = runner.Prefill(a, tokens, DistributionRequest.Full).Next;
            var second = runner.Prefill(b, tokens, DistributionRequest.Full).Next;
            var diff = MaxDiff(first.Logits, second.Logits);
            var identical = first.Logits.SequenceEqual(second.Logits);
            return (identical && float.IsFinite(first.LogSumExp), $"max |Δlogit| = {F(diff)}{(identical ? " (bitwise identical)" : " (NOT bitwise identical)")}, logsumexp {first.LogSumExp:F4}");
        }

        public (bool, string) BatchedStep()
        {
            using var runner = NewRunner(sequences: 4);
            string[] texts = ["Once upon a time", "int main(void) {", "To be, or not to be", "The capital of France is"];
            var separate = new List<float[]>();
            foreach (var text in texts)
            {
                var s = runner.Open();
                var t = Prompt(text);
                runner.Prefill(s, t.AsSpan(..^1), DistributionRequest.Full);
                separate.Add(runner.Append(s, t.AsSpan(^1..), DistributionRequest.Full).Logits.ToArray());
                runner.Release(s);
            }
            var work = new List<SequenceEdit>();
            foreach (var text in texts)
            {
                var s = runner.Open();
                var t = Prompt(text);
                runner.Prefill(s, t.AsSpan(..^1), DistributionRequest.Full);
                work.Add(SequenceEdit.Append(s, t[^1..], DistributionRequest.Full));
            }
            var callsBefore = runner.DecodeStatistics.DecodeCalls;
            var batched = runner.Apply(work).Select(r => r.Next).ToList();
            var calls = runner.DecodeStatistics.DecodeCalls - callsBefore;
            var worst = 0f;
            for (var i = 0; i < texts.Length; i++) worst = Math.Max(worst, MaxDiff(separate[i], batched[i].Logits));
            return (calls == 1 && worst <= Tolerance, $"max |Δlogit| = {F(worst)} (tolerance {F(Tolerance)}), llama_decode calls for the step: {calls}");
        }

        public (bool, string) PrefillEqualsSteps()
        {
            using var runner = NewRunner();
            var tokens = Prompt("Chorus fuses several language models token by token.");
            var seq = runner.Open();
            var prefill = runner.Prefill(seq, tokens, DistributionRequest.Full);
            var step = runner.Open();
            var dist = runner.Append(step, tokens.AsSpan(..1), DistributionRequest.Full);
            var worstLogProb = 0f;
            var missing = 0;
            for (var i = 1; i < tokens.Length; i++)
            {
                if (dist.TryGetLogProb(tokens[i], out var expected)) worstLogProb = Math.Max(worstLogProb, Math.Abs(prefill.TokenLogProbs[i] - expected));
                else missing++;
                dist = runner.Append(step, tokens.AsSpan(i, 1), DistributionRequest.Full);
            }
            var worstLogit = MaxDiff(dist.Logits, prefill.Next.Logits);
            var firstIsNaN = float.IsNaN(prefill.TokenLogProbs[0]);
            return (firstIsNaN && missing == 0 && worstLogProb <= Tolerance && worstLogit <= Tolerance,
                $"{tokens.Length} tokens, max |Δlog-prob| = {F(worstLogProb)}, final max |Δlogit| = {F(worstLogit)} (tolerance {F(Tolerance)}), first log-prob NaN: {firstIsNaN}");
        }

        public (bool, string) TruncateAndRedecode()
        {
            using var runner = NewRunner();
            var tokens = Prompt("Rollback must be exact: the cache forgets what was removed.");
            var seq = runner.Open();
            var half = tokens.Length / 2;
            runner.Prefill(seq, tokens.AsSpan(..half), DistributionRequest.Full);
            var original = runner.Append(seq, tokens.AsSpan(half..), DistributionRequest.Full).Logits.ToArray();
            runner.Truncate(seq, half);
            var lengthOk = seq.Length == half && runner.Context.MaxPosition(seq.Id) == half - 1;
            runner.Append(seq, Prompt("a completely different continuation").AsSpan(1..), DistributionRequest.Top(4));
            runner.Truncate(seq, half);
            var again = runner.Append(seq, tokens.AsSpan(half..), DistributionRequest.Full).Logits;
            var diff = MaxDiff(original, again);
            return (lengthOk && diff <= Tolerance, $"max |Δlogit| = {F(diff)} (tolerance {F(Tolerance)}), length and KV position after truncate right: {lengthOk}");
        }

        public (bool, string) Fork()
        {
            using var runner = NewRunner();
            var tokens = Prompt("shared prefix of two continuations");
            var a = runner.Open();
            runner.Prefill(a, tokens, DistributionRequest.Full);
            var b = runner.Fork(a);
            var sameTokens = a.Tokens.SequenceEqual(b.Tokens);
            var next = model.Vocabulary.Tokenize(" left");
            var fromA = runner.Append(a, next, DistributionRequest.Full).Logits.ToArray();
            var fromB = runner.Append(b, next, DistributionRequest.Full).Logits;
            var diff = MaxDiff(fromA, fromB);
            return (sameTokens && diff <= Tolerance, $"max |Δlogit| = {F(diff)} (tolerance {F(Tolerance)}), fork has the same tokens: {sameTokens}");
        }

        public (bool, string) TopK()
        {
            using var runner = NewRunner();
            var seq = runner.Open();
            var full = runner.Prefill(seq, Prompt("hello world"), DistributionRequest.Full).Next;
            var top = full.ToTopK(10);
            var worst = 0f;
            for (var i = 0; i < top.TopTokens.Length; i++)
            {
                full.TryGetLogProb(top.TopTokens[i], out var lp);
                worst = Math.Max(worst, Math.Abs(lp - top.TopLogProbs[i]));
            }
            var ok = top.TopTokens.Length == 10 && top.TopTokens[0] == full.ArgMax() && worst <= TopKTolerance && top.TailMass is >= 0f and <= 1f;
            return (ok, $"max |Δlog-prob| = {F(worst)} (tolerance {F(TopKTolerance)}), top-1 = argmax: {top.TopTokens[0] == full.ArgMax()}, tail mass {top.TailMass:F4}");
        }

        public (bool, string) Slots()
        {
            using var runner = NewRunner(sequences: 2);
            var a = runner.Open();
            var b = runner.Open();
            var refused = false;
            try
            {
                runner.Open();
            }
            catch (NoFreeSequenceException)
            {
                refused = true;
            }
            runner.Prefill(a, Prompt("some text"), DistributionRequest.Top(1));
            runner.Release(a);
            var emptied = runner.Context.MaxPosition(a.Id) == -1;
            var activeAfterRelease = runner.ActiveSequences;
            var c = runner.Open();
            var reused = c.Id == a.Id;
            runner.Release(b);
            runner.Release(c);
            var ok = refused && emptied && activeAfterRelease == 1 && reused && runner.ActiveSequences == 0;
            return (ok, $"third open refused: {refused}, released slot's KV empty: {emptied}, active after release: {activeAfterRelease}, slot reused: {reused}, active at end: {runner.ActiveSequences}");
        }

        public (bool, string) ContextOverflow()
        {
            using var runner = NewRunner(sequences: 1, context: 256);
            var seq = runner.Open();
            var longText = string.Join(' ', Enumerable.Repeat("word", 400));
            string? message = null;
            try
            {
                runner.Prefill(seq, Prompt(longText), DistributionRequest.Full);
            }
            catch (ContextOverflowException e)
            {
                message = e.Message;
            }
            var lengthAfter = seq.Length;
            var ok = runner.Prefill(seq, Prompt("short"), DistributionRequest.Top(1));
            var pass = message is not null && message.Contains("do not fit in the context of 256") && lengthAfter == 0 && float.IsFinite(ok.Next.LogSumExp);
            return (pass, $"refused: {(message is null ? "no" : $"\"{message}\"")}, sequence length after refusal: {lengthAfter}, short prefill after: logsumexp {ok.Next.LogSumExp:F4}");
        }

        /// <summary>The same prompts through this model and another placement of the same file: per-token log-probs and final logits.</summary>
        public (bool, string) AgainstOtherModel(LlamaModel other)
        {
            using var here = NewRunner(sequences: 1);
            using var there = NewRunner(sequences: 1, other: other);
            var worstLogit = 0f;
            var worstLogProb = 0f;
            var topAgree = 0;
            var longest = 0;
            foreach (var text in ShortPrompts)
            {
                var tokens = Prompt(text);
                longest = Math.Max(longest, tokens.Length);
                var a = here.Open();
                var b = there.Open();
                var pa = here.Prefill(a, tokens, DistributionRequest.Full);
                var pb = there.Prefill(b, tokens, DistributionRequest.Full);
                worstLogit = Math.Max(worstLogit, MaxDiff(pa.Next.Logits, pb.Next.Logits));
                for (var i = 1; i < tokens.Length; i++) worstLogProb = Math.Max(worstLogProb, Math.Abs(pa.TokenLogProbs[i] - pb.TokenLogProbs[i]));
                if (pa.Next.ArgMax() == pb.Next.ArgMax()) topAgree++;
                here.Release(a);
                there.Release(b);
            }
            return (worstLogit <= Tolerance && worstLogProb <= Tolerance && topAgree == ShortPrompts.Length,
                $"max |Δlogit| = {F(worstLogit)}, max |Δlog-prob| over the prompts' tokens = {F(worstLogProb)} (tolerance {F(Tolerance)}), " +
                $"top-1 agreement {topAgree}/{ShortPrompts.Length}, prompts of ≤ {longest} tokens");
        }

        /// <summary>Final-position logits of fixed prompts (short ones and a 200-token one) for comparison across runs.</summary>
        public IEnumerable<(string Key, float[] Logits)> ReferenceLogits()
        {
            using var runner = NewRunner(sequences: 1, context: 512);
            var prompts = ShortPrompts.Select((text, i) => ($"short{i}", Prompt(text))).ToList();
            var vocabulary = model.Vocabulary.Count;
            prompts.Add(("long200", Enumerable.Range(0, 200).Select(i => 100 + (i * 7919 % (vocabulary - 200))).ToArray()));
            foreach (var (key, tokens) in prompts)
            {
                var seq = runner.Open();
                var logits = runner.Prefill(seq, tokens, DistributionRequest.Full).Next.Logits.ToArray();
                runner.Release(seq);
                yield return (key, logits);
            }
        }
    }

    private static CheckResult CompareWithReference(string path, Dictionary<string, float[]> logits)
    {
        Dictionary<string, float[]> reference;
        try
        {
            reference = ReadReference(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var failed = new CheckResult("all", "against reference logits", false, $"cannot read {path}: {e.Message}");
            Console.WriteLine($"FAIL  {"all",-10}  {failed.Name}: {failed.Detail}");
            return failed;
        }
        var pass = true;
        var lines = new List<string>();
        foreach (var (key, values) in logits)
        {
            if (!reference.TryGetValue(key, out var expected) || expected.Length != values.Length)
            {
                pass = false;
                lines.Add($"{key}: missing from the reference");
                continue;
            }
            var diff = MaxDiff(expected, values);
            var top = TensorArgMax(expected) == TensorArgMax(values);
            pass &= diff <= Tolerance && top;
            lines.Add($"{key}: max |Δlogit| = {F(diff)}, top-1 {(top ? "agrees" : "DIFFERS")}");
        }
        var detail = $"vs {Path.GetFileName(path)} (tolerance {F(Tolerance)}): {string.Join("; ", lines)}";
        Console.WriteLine($"{(pass ? "PASS" : "FAIL")}  {"all",-10}  against reference logits {detail}");
        return new CheckResult("all", "against reference logits", pass, detail);
    }

    private static void WriteReference(string path, Dictionary<string, float[]> logits)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(logits.Count);
        foreach (var (key, values) in logits)
        {
            writer.Write(key);
            writer.Write(values.Length);
            foreach (var v in values) writer.Write(v);
        }
    }

    private static Dictionary<string, float[]> ReadReference(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var count = reader.ReadInt32();
        var result = new Dictionary<string, float[]>();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            var values = new float[reader.ReadInt32()];
            for (var j = 0; j < values.Length; j++) values[j] = reader.ReadSingle();
            result[key] = values;
        }
        return result;
    }

    private static string Ensure(string directory, string tag, SyntheticModelSpec spec)
    {
        var path = Path.Combine(directory, $"{tag}.gguf");
        var stamp = path + ".spec";
        if (!File.Exists(path) || !File.Exists(stamp) || File.ReadAllText(stamp) != spec.ToString())
        {
            SyntheticModelForge.Write(spec, path);
            File.WriteAllText(stamp, spec.ToString());
        }
        return path;
    }

    private static ulong? GpuFreeBytes()
    {
        var gpus = LlamaBackend.Devices.Where(d => d.Kind == "gpu").ToList();
        return gpus.Count > 0 ? gpus[0].FreeBytes : null;
    }

    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) return float.PositiveInfinity;
        var worst = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs(a[i] - b[i]);
            if (!(d <= worst)) worst = d; // NaN counts as the worst
        }
        return worst;
    }

    private static int TensorArgMax(float[] values) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);

    private static string F(float value) => value.ToString(value == 0f ? "0" : "0.###e+0", CultureInfo.InvariantCulture);

    private static string Mib(ulong bytes) => $"{bytes / (1024.0 * 1024.0):F0} MiB";

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? StrArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
