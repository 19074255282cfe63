using System.Diagnostics;
using System.Numerics.Tensors;
using Chorus.Bench.Engine;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Bench.Gpu;

/// <summary>
/// Where a decode step's time goes, measured on the engine benchmark's models with the context used directly:
/// the <c>llama_decode</c> call, the wait inside the first <c>llama_get_logits_ith</c> (llama.cpp copies the logits
/// asynchronously and synchronises there: on a GPU this is where the computation is waited for), and Chorus's work on
/// the logits afterwards (copy + log-sum-exp, or top-64). <c>engine</c>'s "outside llama_decode" share counts the wait
/// as outside; this table separates it.
/// </summary>
public static class DecodeTiming
{
    public static async Task<int> RunAsync(IReadOnlyList<string> sizes, string outDir, int gpuLayers, int threads, bool? flashAttention, int decodeTokens, int promptTokens)
    {
        Console.WriteLine($"# decode timing  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  gpu-layers={gpuLayers}  flash-attn={FlashText(flashAttention)}  prompt={promptTokens}  tokens={decodeTokens}");
        Console.WriteLine("| model | request | prefill tok/s (to logits) | decode tok/s | llama_decode call µs/token | wait in llama_get_logits_ith µs/token | Chorus after logits µs/token | share outside decode+wait |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var size in sizes)
        {
            var path = await BenchModels.EnsureAsync(size, outDir);
            using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = gpuLayers });
            using var context = model.CreateContext(new LlamaContextOptions
            {
                ContextSize = promptTokens + decodeTokens + 64, BatchSize = 512, Threads = threads, FlashAttention = flashAttention,
            });
            using var batch = new LlamaBatch(512);
            var prompt = Enumerable.Range(0, promptTokens).Select(i => 100 + (i * 7919 % 20000)).ToArray();
            Run(context, batch, prompt.AsSpan(0, 32), 4, 0); // warm-up (graph allocation, CUDA graphs)
            foreach (var topK in new[] { 0, 64 })
            {
                var r = Run(context, batch, prompt, decodeTokens, topK);
                var step = r.Decode + r.Wait + r.After;
                Console.WriteLine($"| {size} ({model.ParameterCount / 1e6:F1}M) | {(topK == 0 ? "full" : $"top-{topK}")} | {promptTokens / r.Prefill:F0} | " +
                                  $"{decodeTokens / step:F1} | {Us(r.Decode, decodeTokens)} | {Us(r.Wait, decodeTokens)} | {Us(r.After, decodeTokens)} | {r.After / step:P1} |");
            }
        }
        return 0;
    }

    private static (double Prefill, double Decode, double Wait, double After) Run(LlamaContext context, LlamaBatch batch, ReadOnlySpan<int> prompt, int decodeTokens, int topK)
    {
        context.ClearMemory();
        var start = Stopwatch.GetTimestamp();
        batch.Clear();
        for (var i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, 0, wantLogits: i == prompt.Length - 1);
        context.Decode(batch);
        var next = TensorPrimitives.IndexOfMax(context.GetLogits(prompt.Length - 1));
        var prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;

        long decode = 0, wait = 0, after = 0;
        for (var i = 0; i < decodeTokens; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            batch.Clear();
            batch.Add(next, prompt.Length + i, 0, wantLogits: true);
            context.Decode(batch);
            var t1 = Stopwatch.GetTimestamp();
            var logits = context.GetLogits(0);
            var t2 = Stopwatch.GetTimestamp();
            var distribution = topK == 0 ? TokenDistribution.FromLogits(logits) : TokenDistribution.TopK(logits, topK);
            next = distribution.ArgMax();
            var t3 = Stopwatch.GetTimestamp();
            decode += t1 - t0;
            wait += t2 - t1;
            after += t3 - t2;
        }
        double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
        return (prefill, Seconds(decode), Seconds(wait), Seconds(after));
    }

    private static string Us(double seconds, int tokens) => $"{seconds / tokens * 1e6:F0}";

    internal static string FlashText(bool? flashAttention) => flashAttention switch { null => "auto", true => "on", false => "off" };
}
