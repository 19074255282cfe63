using Chorus.Bench.Reliability;

return await ReliabilityBench.RunAsync(args);
