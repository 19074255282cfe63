using Chorus.Bench.Engine;
using Chorus.Bench.Load;

// bench/load: a load generator for OpenAI-compatible servers (Chorus, llama-server), driven by bench/load/run-load.sh
const string Usage = """
    Chorus.LoadBench run --target NAME=URL[,kind=llama|chorus][,model=ID][,metrics=URL] [--target …]
                         [--workloads single,chat,mixed] [--clients 16 | --loads closed:16,open:4] [--rounds 2]
                         [--duration 30 | --jobs N] [--max-tokens 64] [--turns 5] [--long-share 0.1] [--long-tokens 2000]
                         [--seed 1] [--corpus FILE] [--json FILE] [--note TEXT] [--no-warmup] [--request-timeout 600]
    Chorus.LoadBench models --size small|large --out DIR [--count 1]
        forges the parity bench's synthetic models (bench-SIZE.gguf, then bench-SIZE-1.gguf … with other seeds)
    """;
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
try
{
    switch (args.FirstOrDefault())
    {
        case "run":
            return await LoadRun.RunAsync(LoadSettings.Parse(args[1..]), cts.Token);
        case "models":
            var size = Arg("--size") ?? "small";
            var dir = Arg("--out") ?? throw new ArgumentException("models: give --out DIR");
            Directory.CreateDirectory(dir);
            for (var i = 0UL; i < ulong.Parse(Arg("--count") ?? "1", System.Globalization.CultureInfo.InvariantCulture); i++)
                Console.WriteLine(await BenchModels.EnsureAsync(size, dir, i));
            return 0;
        default:
            Console.Error.WriteLine(Usage);
            return args.Length == 0 || args[0] is "--help" or "-h" ? 0 : 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
