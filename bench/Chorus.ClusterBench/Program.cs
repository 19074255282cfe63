return await Chorus.Bench.Cluster.ClusterBench.RunAsync(args);
