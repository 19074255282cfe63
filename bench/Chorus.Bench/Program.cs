using BenchmarkDotNet.Running;
using Chorus.Bench.Engine;

// `engine …` runs the model-engine harness (real models, wall-clock tokens/s); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "engine")
    return await EngineBench.RunAsync(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(EngineBench).Assembly).Run(args);
return 0;
