using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>
/// Whether this process may put a thread under the real-time FIFO policy at a given priority, found out once per
/// priority by trying it on a throwaway thread. ggml applies a raised priority to the calling thread at every graph
/// computation and prints a warning each time it is refused, so a context asks first and falls back instead.
/// </summary>
internal static partial class RealTimeScheduling
{
    private const int SchedFifo = 1;
    private static readonly Dictionary<int, bool> Permitted = [];

    /// <summary>Whether the decode threads may run at <paramref name="level"/> (always at normal).</summary>
    public static bool IsPermitted(DecodePriority level)
    {
        if (level == DecodePriority.Normal) return true;
        if (!OperatingSystem.IsLinux()) return true; // elsewhere ggml raises ordinary thread priorities, which need no privilege
        var priority = FifoPriority(level);
        lock (Permitted)
        {
            if (Permitted.TryGetValue(priority, out var known)) return known;
            var ok = false;
            var probe = new Thread(() => ok = TryOnThisThread(priority)) { IsBackground = true, Name = "chorus-priority-probe" };
            probe.Start();
            probe.Join();
            Permitted[priority] = ok;
            return ok;
        }
    }

    // ggml's real-time FIFO priority for each level (ggml-cpu.c, ggml_thread_apply_priority)
    private static int FifoPriority(DecodePriority level) => level switch
    {
        DecodePriority.Medium => 40,
        DecodePriority.High => 80,
        _ => 90,
    };

    private static bool TryOnThisThread(int priority)
    {
        var p = new SchedParam { Priority = priority };
        try
        {
            return sched_setscheduler(0, SchedFifo, ref p) == 0; // the thread ends right after: nothing to restore
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without sched_setscheduler: stay at normal priority
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);
}
