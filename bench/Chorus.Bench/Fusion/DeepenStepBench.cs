using System.Diagnostics;
using Chorus.Fusion;

namespace Chorus.Bench.Fusion;

/// <summary>
/// <c>deepen-step</c>: DeePEn's fused step at 152k vocabularies with the dense (reference) relative rows, by Stopwatch:
/// Prepare, the first step, steps whose candidates change (fresh logits each step: cold rows), a repeated step (warm rows),
/// and the managed memory the session and its relative spaces hold afterwards. Members share one 152k vocabulary, so every
/// token is an anchor (|A| = |V|, the largest relative space DeePEn can have at this size).
/// </summary>
internal static class DeepenStepBench
{
    private const int Vocabulary = 152_000;
    private const int FreshSteps = 8;
    private const int WarmSteps = 10;

    public static int Run(string[] args)
    {
        int[] dimensions = args.Length > 0 ? [.. args[0].Split(',').Select(int.Parse)] : [64, 512];
        int[] members = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse)] : [2, 4];
        Console.WriteLine($"deepen, |V| = |A| = {Vocabulary:N0}, full logits; {FreshSteps} fresh steps, {WarmSteps} repeated");
        Console.WriteLine("dim  K   prepare   first step   fresh step (mean)   warm step (mean)   managed memory held");
        foreach (var dimension in dimensions)
        {
            foreach (var k in members)
            {
                var random = new Random(3);
                var vocabulary = FusionBenchData.Vocabulary(Vocabulary);
                var embeddings = FusionBenchData.Embeddings(random, Vocabulary, dimension);
                var steps = new TokenDistribution[FreshSteps + 1][];
                for (var s = 0; s < steps.Length; s++)
                    steps[s] = [.. Enumerable.Range(0, k).Select(_ => TokenDistribution.FromLogits(FusionBenchData.PeakedLogits(random, Vocabulary)))];
                var before = GC.GetTotalMemory(forceFullCollection: true);
                var clock = Stopwatch.StartNew();
                // new embeddings per configuration give new relative spaces (the shared cache keys them by matrix), so no warm
                // row carries over; the anchor set (keyed by the vocabularies) is built in the first configuration only
                var method = FusionMethods.Create(FusionMethods.Deepen);
                var session = method.Prepare(new FusionRequest { Members = FusionBenchData.Members(vocabulary, k, embeddings), PromptText = "x" });
                var prepare = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                session.Fuse(steps[0]);
                var first = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                for (var s = 1; s <= FreshSteps; s++) session.Fuse(steps[s]);
                var fresh = clock.Elapsed.TotalMilliseconds / FreshSteps;
                clock.Restart();
                for (var s = 0; s < WarmSteps; s++) session.Fuse(steps[FreshSteps]);
                var warm = clock.Elapsed.TotalMilliseconds / WarmSteps;
                var held = GC.GetTotalMemory(forceFullCollection: true) - before;
                Console.WriteLine($"{dimension,3} {k,2} {prepare,8:F1} ms {first,9:F1} ms {fresh,14:F1} ms {warm,17:F2} ms {held / 1048576.0,14:F1} MiB");
                GC.KeepAlive(session);
            }
        }
        return 0;
    }
}
