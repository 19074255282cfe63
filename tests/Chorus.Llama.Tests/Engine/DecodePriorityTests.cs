using System.Runtime.InteropServices;
using Chorus.Fusion;

namespace Chorus.Llama.Tests.Engine;

/// <summary>
/// Raised decode priority: the same logits; real-time FIFO only for ggml's worker threads and for the decoding thread
/// while it decodes (never the thread that created the context, never any .NET thread afterwards), and none of it
/// where the process may not use real-time scheduling (the context then reports normal priority).
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed partial class DecodePriorityTests(SyntheticModelFixture models)
{
    private const int SchedOther = 0, SchedFifo = 1, SchedResetOnFork = 0x40000000;

    [Fact]
    public void A_raised_priority_decodes_the_same_logits()
    {
        var normal = Decode(DecodePriority.Normal);
        var medium = Decode(DecodePriority.Medium);

        Assert.Equal(normal.Length, medium.Length);
        for (var i = 0; i < normal.Length; i++) Assert.Equal(normal[i], medium[i], 1e-4f);
    }

    [Fact]
    public async Task Only_the_decode_threads_run_real_time_and_the_decoding_thread_only_while_it_decodes()
    {
        // as in a silo: a pool thread creates the context, a thread of its own decodes
        var (created, creatorPolicy) = await Task.Run(() => (new ModelRunner(models.Spm, new LlamaContextOptions
        {
            ContextSize = 256, Threads = 2, Priority = DecodePriority.Medium, FullPrecisionCache = true,
        }), sched_getscheduler(0)));
        using var runner = created;
        // checked before decoding: a pool thread left real-time could starve ggml's worker and hang the decode below
        Assert.Equal(SchedOther, creatorPolicy);
        var raised = runner.Context.Priority == DecodePriority.Medium;

        int decoderTid = 0, policyAfter = -1;
        var decoding = true;
        var decoder = new Thread(() =>
        {
            decoderTid = gettid();
            var sequence = runner.Open();
            var prompt = models.Spm.Vocabulary.Tokenize("a thread of its own decodes here", addSpecial: true);
            for (var i = 0; i < 200; i++)
            {
                runner.Truncate(sequence, 0);
                runner.Prefill(sequence, prompt, DistributionRequest.Full);
            }
            policyAfter = sched_getscheduler(0);
            Volatile.Write(ref decoding, false);
        });
        // the observer must get a core while two real-time decode threads hold both: it runs above them (FIFO 60, where
        // permitted) and sleeps between looks, so it never keeps them waiting for long
        bool seenFifo = false, observerRaised = false;
        var observer = new Thread(() =>
        {
            if (raised)
            {
                var p = new SchedParam { Priority = 60 };
                observerRaised = sched_setscheduler(0, SchedFifo | SchedResetOnFork, ref p) == 0; // a runtime thread it starts stays normal
            }
            while (Volatile.Read(ref decoding))
            {
                var tid = Volatile.Read(ref decoderTid);
                if (tid != 0 && Policy(tid) == SchedFifo) seenFifo = true;
                Thread.Sleep(1);
            }
        });
        observer.Start();
        decoder.Start();
        decoder.Join();
        observer.Join();

        Assert.Equal(raised, observerRaised);
        Assert.Equal(raised, seenFifo);
        Assert.Equal(SchedOther, policyAfter);
        var realTime = Threads().Where(t => t.Policy == SchedFifo).ToList();
        Assert.All(realTime, t => Assert.Equal(LlamaContext.DecodeThreadName, t.Name)); // no .NET thread was left raised
        if (raised) Assert.NotEmpty(realTime); // ggml's worker (2 threads: the decoding thread and one worker)
        else Assert.Empty(realTime);
    }

    private float[] Decode(DecodePriority priority)
    {
        using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 128, Threads = 2, Priority = priority, FullPrecisionCache = true });
        var sequence = runner.Open();
        var next = runner.Prefill(sequence, models.Spm.Vocabulary.Tokenize("a thread of its own", addSpecial: true), DistributionRequest.Full).Next;
        Assert.Equal(SchedOther, sched_getscheduler(0));
        return next.Logits.ToArray();
    }

    // every thread of this process: its name and scheduling policy (/proc/self/task/*/stat, field 41)
    private static List<(string Name, int Policy)> Threads()
    {
        var threads = new List<(string, int)>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                threads.Add((File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n'), Policy(int.Parse(Path.GetFileName(dir)))));
            }
            catch (IOException)
            {
                // the thread ended while we looked
            }
        }
        return threads;
    }

    private static int Policy(int tid)
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3]);
    }

    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc")]
    private static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);

    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc")]
    private static partial int gettid();
}
