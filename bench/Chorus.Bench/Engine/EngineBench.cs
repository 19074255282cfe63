using System.Diagnostics;
using Chorus.Llama;

namespace Chorus.Bench.Engine;

/// <summary>
/// Prefill and decode throughput of synthetic models through <see cref="ModelRunner"/>, and the share of decode-step
/// time spent outside <c>llama_decode</c> (binding overhead: batch filling, logits copy, log-sum-exp, top-k).
/// Usage: engine [--gpu-layers N] [--tokens N] [--prompt N] [--sizes small,large] [--out DIR]
/// </summary>
public static class EngineBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var gpuLayers = IntArg(args, "--gpu-layers", 0);
        var decodeTokens = IntArg(args, "--tokens", 64);
        var promptTokens = IntArg(args, "--prompt", 256);
        var outDir = StrArg(args, "--out", Path.Combine(Path.GetTempPath(), "chorus-bench-models"));
        var sizes = StrArg(args, "--sizes", "small,large").Split(',');
        Directory.CreateDirectory(outDir);
        LlamaBackend.Initialize();
        Console.WriteLine($"# engine benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  gpu-layers={gpuLayers}");
        Console.WriteLine($"# devices: {string.Join("; ", LlamaBackend.Devices.Select(d => $"{d.Kind}:{d.Description}"))}");
        Console.WriteLine("| model | params | prefill tok/s | decode tok/s (full logits) | decode tok/s (top-64) | outside llama_decode (full) | outside (top-64) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var size in sizes)
        {
            var path = await BenchModels.EnsureAsync(size, outDir);
            using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = gpuLayers });
            using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = promptTokens + decodeTokens + 64, BatchSize = 512 });
            var prompt = Enumerable.Range(0, promptTokens).Select(i => 100 + (i * 7919 % 20000)).ToArray();
            // warm-up (threads, graph allocation)
            var warm = runner.Open();
            runner.Prefill(warm, prompt.AsSpan(0, 32), DistributionRequest.Top(1));
            runner.Release(warm);

            var prefill = Measure(runner, prompt, decodeTokens, DistributionRequest.Full, out _);
            var decodeFull = Measure(runner, prompt, decodeTokens, DistributionRequest.Full, out var overheadFull).Decode;
            var decodeTop = Measure(runner, prompt, decodeTokens, DistributionRequest.Top(64), out var overheadTop).Decode;
            Console.WriteLine($"| {size} ({Path.GetFileName(path)}) | {model.ParameterCount / 1e6:F1}M | {prefill.Prefill:F0} | {decodeFull:F1} | {decodeTop:F1} | {overheadFull:P2} | {overheadTop:P2} |");
        }
        return 0;
    }

    private static (double Prefill, double Decode) Measure(ModelRunner runner, int[] prompt, int decodeTokens, DistributionRequest request, out double overhead)
    {
        var seq = runner.Open();
        try
        {
            var sw = Stopwatch.StartNew();
            var dist = runner.Prefill(seq, prompt, request).Next;
            var prefillRate = prompt.Length / sw.Elapsed.TotalSeconds;

            var (decodeBefore, _) = runner.DecodeStatistics;
            sw.Restart();
            for (var i = 0; i < decodeTokens; i++)
                dist = runner.Append(seq, [dist.ArgMax()], request);
            var wall = sw.Elapsed;
            var inside = runner.DecodeStatistics.DecodeTime - decodeBefore;
            overhead = (wall - inside) / wall;
            return (prefillRate, decodeTokens / wall.TotalSeconds);
        }
        finally
        {
            runner.Release(seq);
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static string StrArg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
