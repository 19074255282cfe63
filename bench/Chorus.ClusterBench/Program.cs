return args.Length > 0 && args[0] == "bytes"
    ? await Chorus.Bench.Cluster.ByteBench.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "local-ab"
    ? await Chorus.Bench.Cluster.LocalPathBench.RunAsync(args[1..])
    : args.Length > 0 && args[0] == "speculative"
    ? await Chorus.Bench.Cluster.SpeculativeBench.RunAsync(args[1..])
    : await Chorus.Bench.Cluster.ClusterBench.RunAsync(args);
