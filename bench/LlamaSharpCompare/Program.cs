using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Chorus.Llama.Forge;
using LlamaSharpCompare;

// Usage: LlamaSharpCompare llamasharp|llamasharp-nolock|chorus --a MODEL --b MODEL [--tokens 128] [--prompt 16] [--threads 1] [--reps 3]
//        LlamaSharpCompare forge DIR   (two distinct synthetic models of one shape, for both engines)
// Prints one JSON line with the measurement; run.sh runs each engine in its own process and builds the table.
if (args.Length == 0) return Usage();
if (args[0] == "forge") return Forge(args.Length > 1 ? args[1] : "models");
if (args[0] is not ("llamasharp" or "llamasharp-nolock" or "chorus")) return Usage();

var engine = args[0];
var settings = new BenchSettings(
    Threads: IntArg("--threads", 1), PromptTokens: IntArg("--prompt", 16), DecodeTokens: IntArg("--tokens", 128));
var pathA = StrArg("--a") ?? throw new ArgumentException("--a MODEL is required");
var pathB = StrArg("--b") ?? throw new ArgumentException("--b MODEL is required");

// llamasharp-nolock: the control, LLamaSharp's own native call without its managed lock (see LlamaSharpDecoder)
ITokenDecoder Load(string path) => engine == "chorus"
    ? new ChorusDecoder(path, settings)
    : new LlamaSharpDecoder(path, settings, bypassLock: engine == "llamasharp-nolock");
using var a = Load(pathA);
using var b = Load(pathB);
var random = new Random(7);
var vocabulary = Math.Min(a.VocabularySize, b.VocabularySize);
var prompt = Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(vocabulary)).ToArray();

// warm-up: each alone, then together, as the measured runs; then --reps repetitions, each figure their median
DecodeHarness.Alone(a, prompt, settings.DecodeTokens);
DecodeHarness.Alone(b, prompt, settings.DecodeTokens);
DecodeHarness.Together(a, b, prompt, settings.DecodeTokens);
var reps = IntArg("--reps", 3);
var runs = Enumerable.Range(0, reps).Select(_ =>
{
    var aloneA = DecodeHarness.Alone(a, prompt, settings.DecodeTokens);
    var aloneB = DecodeHarness.Alone(b, prompt, settings.DecodeTokens);
    return (AloneA: aloneA, AloneB: aloneB, Together: DecodeHarness.Together(a, b, prompt, settings.DecodeTokens));
}).ToArray();

double Median(Func<int, double> pick)
{
    var values = Enumerable.Range(0, reps).Select(pick).Order().ToArray();
    return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
}
var aloneATps = Median(i => runs[i].AloneA.TokensPerSecond);
var aloneBTps = Median(i => runs[i].AloneB.TokensPerSecond);
var togetherTps = Median(i => 2 * settings.DecodeTokens / runs[i].Together.Wall.TotalSeconds);
double MedianMs(Func<int, TimeSpan> pick) => Math.Round(Median(i => pick(i).TotalMilliseconds), 1);

var line = new Dictionary<string, object?>
{
    ["engine"] = engine,
    ["a"] = Path.GetFileName(pathA),
    ["b"] = Path.GetFileName(pathB),
    ["tokens"] = settings.DecodeTokens,
    ["threads"] = settings.Threads,
    ["reps"] = reps,
    ["alone_a_tps"] = Math.Round(aloneATps, 1),
    ["alone_b_tps"] = Math.Round(aloneBTps, 1),
    ["together_tps"] = Math.Round(togetherTps, 1),
    ["ratio"] = Math.Round(togetherTps / ((aloneATps + aloneBTps) / 2), 3),
    ["together_wall_ms"] = MedianMs(i => runs[i].Together.Wall),
    // process CPU time over wall time while both decode: ~1 when one decodes at a time, up to 2 on two free cores
    ["together_cores_busy"] = Math.Round(Median(i => runs[i].Together.Cpu / runs[i].Together.Wall), 2),
    // what other processes on the machine took meanwhile, in cores (the bench's figures mean little when it is ~1 or more)
    ["together_others_cores"] = Math.Round(Median(i => Math.Max(0, (runs[i].Together.MachineCpu - runs[i].Together.Cpu) / runs[i].Together.Wall)), 2),
    // time inside the engine's decode call per thread: alone it is compute; together, compute plus any wait for a lock
    ["alone_in_decode_ms"] = new[] { MedianMs(i => runs[i].AloneA.InDecode), MedianMs(i => runs[i].AloneB.InDecode) },
    ["alone_wall_ms"] = new[] { MedianMs(i => runs[i].AloneA.Wall), MedianMs(i => runs[i].AloneB.Wall) },
    ["together_in_decode_ms"] = new[] { MedianMs(i => runs[i].Together.A.InDecode), MedianMs(i => runs[i].Together.B.InDecode) },
    ["together_thread_wall_ms"] = new[] { MedianMs(i => runs[i].Together.A.Wall), MedianMs(i => runs[i].Together.B.Wall) },
    ["libllama"] = LoadedLibrary("libllama"),
    ["ggml_cpu"] = LoadedLibrary("ggml-cpu"),
};
if (engine != "chorus")
{
    line["locks"] = LlamaSharpProbe.StaticLocks();
    line["system_info"] = LlamaSharpProbe.SystemInfo();
}
else
{
    line["system_info"] = ChorusDecoder.SystemInfo;
}
Console.WriteLine(JsonSerializer.Serialize(line));
return 0;

int IntArg(string name, int fallback) =>
    StrArg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? StrArg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// which build the process really loaded (each engine ships its own libllama)
static string? LoadedLibrary(string name) =>
    File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
        .FirstOrDefault(p => p is not null && p.Contains(name, StringComparison.Ordinal) && p.Contains(".so", StringComparison.Ordinal));

static int Forge(string directory)
{
    Directory.CreateDirectory(directory);
    // the shape of bench/Chorus.Bench's small model (~20M parameters, F32), two seeds: two distinct files
    foreach (var seed in new ulong[] { 101, 202 })
    {
        var spec = new SyntheticModelSpec("llama-spm", Layers: 4, Embedding: 256, Heads: 8, KvHeads: 8, FeedForward: 704, ContextLength: 2048, Seed: seed);
        var path = Path.Combine(directory, $"small-seed{seed}.gguf");
        if (File.Exists(path) && File.Exists(path + ".spec") && File.ReadAllText(path + ".spec") == spec.ToString()) continue;
        var forged = SyntheticModelForge.Write(spec, path);
        File.WriteAllText(path + ".spec", spec.ToString());
        Console.Error.WriteLine($"forged {path}: {forged.Parameters:N0} parameters");
    }
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: LlamaSharpCompare llamasharp|llamasharp-nolock|chorus --a MODEL --b MODEL [--tokens 128] [--prompt 16] [--threads 1] | forge DIR");
    return 2;
}

/// <summary>What the LLamaSharp assembly says about itself: its static lock fields and the native build's system info.</summary>
internal static class LlamaSharpProbe
{
    public static string[] StaticLocks() =>
        typeof(LLama.Native.SafeLLamaContextHandle).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => !f.FieldType.IsEnum && f.Name.Contains("Lock", StringComparison.OrdinalIgnoreCase))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}: {(f.IsPublic ? "public" : f.IsAssembly ? "internal" : "private")} static {(f.IsInitOnly ? "readonly " : "")}{f.FieldType.FullName} = {f.GetValue(null)?.GetType().FullName ?? "null"}")
            .ToArray();

    public static string SystemInfo() =>
        System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LLama.Native.NativeApi.llama_print_system_info()) ?? "";
}
