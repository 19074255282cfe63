using BenchmarkDotNet.Running;
using Chorus.Bench.Engine;

// `engine …` runs the model-engine harness (real models, wall-clock tokens/s); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "engine")
    return await EngineBench.RunAsync(args[1..]);
// `parity …` is the Chorus side of the llama.cpp parity bench (bench/parity/run-parity.sh).
if (args.Length > 0 && args[0] == "parity")
    return await ParityBench.RunAsync(args[1..]);
// `prefix …` times a growing chat's prefills with the prefix cache off and on.
if (args.Length > 0 && args[0] == "prefix")
    return await PrefixBench.RunAsync(args[1..]);
// `gpucheck …` repeats the engine's exactness checks on whichever backend is loaded (used on the GPU machine).
if (args.Length > 0 && args[0] == "gpucheck")
    return await Chorus.Bench.Gpu.GpuCheck.RunAsync(args[1..]);

// `deepen-step [dims] [members]` times DeePEn's fused step at 152k vocabularies with the dense relative rows.
if (args.Length > 0 && args[0] == "deepen-step")
    return Chorus.Bench.Fusion.DeepenStepBench.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(EngineBench).Assembly).Run(args);
return 0;
