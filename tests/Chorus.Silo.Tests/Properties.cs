// The tests start real silo processes and time failure detection: they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
