using System.Runtime.InteropServices;
using Chorus.Fusion;

namespace Chorus.Llama.Tests.Engine;

/// <summary>
/// Raised decode priority: the same logits, and the decoding thread runs real-time FIFO exactly when the context says
/// the priority was applied (it falls back to normal where the process may not use real-time scheduling).
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed partial class DecodePriorityTests(SyntheticModelFixture models)
{
    private const int SchedOther = 0, SchedFifo = 1;

    [Fact]
    public void A_raised_priority_decodes_the_same_and_makes_the_decoding_thread_real_time_when_permitted()
    {
        var normal = DecodeOnOwnThread(DecodePriority.Normal);
        var medium = DecodeOnOwnThread(DecodePriority.Medium);

        Assert.Equal(DecodePriority.Normal, normal.Applied);
        Assert.Equal(SchedOther, normal.Policy);
        Assert.Equal(medium.Applied == DecodePriority.Medium ? SchedFifo : SchedOther, medium.Policy);
        Assert.Equal(normal.Logits.Length, medium.Logits.Length);
        for (var i = 0; i < normal.Logits.Length; i++) Assert.Equal(normal.Logits[i], medium.Logits[i], 1e-4f);
    }

    // ggml raises the priority of the thread that calls decode and leaves it raised: never a test runner's thread
    private (float[] Logits, DecodePriority Applied, int Policy) DecodeOnOwnThread(DecodePriority priority)
    {
        (float[], DecodePriority, int) result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var runner = new ModelRunner(models.Spm, new LlamaContextOptions { ContextSize = 128, Threads = 2, Priority = priority, FullPrecisionCache = true });
                var sequence = runner.Open();
                var next = runner.Prefill(sequence, models.Spm.Vocabulary.Tokenize("a thread of its own", addSpecial: true), DistributionRequest.Full).Next;
                result = (next.Logits.ToArray(), runner.Context.Priority, sched_getscheduler(0));
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("decoding failed", failure);
        return result;
    }

    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);
}
