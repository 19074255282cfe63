using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>
/// Real-time FIFO scheduling of decode threads, kept to ggml's own worker threads and to the thread that calls
/// <c>llama_decode</c> while it decodes.
/// <para>
/// ggml applies a pool's priority to the thread that creates the pool (when it starts unpaused) and leaves it there,
/// and a thread that a real-time thread creates inherits its policy (.NET gives it FIFO priority 50). A pool created on
/// a .NET thread-pool worker therefore left that worker real-time, the workers it then started ran .NET work at FIFO 50,
/// above ggml's own workers at 40, and when one of them spun for work while a decode waited at ggml's barrier for a
/// starved ggml worker, the silo hung with both cores busy. So a pool is created on a throwaway thread (its workers
/// raise themselves), and the decoding thread is raised only for the span of each decode (<see cref="Raise"/>).
/// </para>
/// </summary>
internal static partial class RealTimeScheduling
{
    private const int SchedFifo = 1;

    // sched_setscheduler's flag that keeps a raised thread's children at normal policy: a thread the runtime starts from
    // it meanwhile (a managed callback, such as the decode's abort check, can make the runtime start its tiered
    // compilation worker) must not inherit real-time FIFO
    private const int SchedResetOnFork = 0x40000000;
    private static readonly Dictionary<int, bool> Permitted = [];

    /// <summary>Whether the decode threads may run at <paramref name="level"/> (always at normal), found out once per
    /// priority by trying it on a throwaway thread.</summary>
    public static bool IsPermitted(DecodePriority level)
    {
        if (level == DecodePriority.Normal) return true;
        if (!OperatingSystem.IsLinux()) return true; // elsewhere ggml raises ordinary thread priorities, which need no privilege
        var priority = FifoPriority(level);
        lock (Permitted)
        {
            if (Permitted.TryGetValue(priority, out var known)) return known;
            var ok = OnOwnThread("chorus-prio-probe", () => TrySet(SchedFifo, priority)); // the thread ends right after: nothing to restore
            Permitted[priority] = ok;
            return ok;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread named <paramref name="name"/> that ends when it returns, so that a
    /// priority ggml gives that thread dies with it; threads it starts inherit its name (ggml's workers show as it).
    /// </summary>
    public static T OnOwnThread<T>(string name, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        thread.Join();
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        return result;
    }

    /// <summary>
    /// Puts the calling thread under FIFO at <paramref name="level"/> until the returned scope is disposed, which
    /// restores its policy and priority (nothing at normal, off Linux, or when the change is refused).
    /// </summary>
    public static RaisedScope Raise(DecodePriority level)
    {
        if (level == DecodePriority.Normal || !OperatingSystem.IsLinux()) return default;
        var policy = sched_getscheduler(0);
        var previous = new SchedParam();
        if (policy < 0 || sched_getparam(0, ref previous) != 0) return default;
        return TrySet(SchedFifo | SchedResetOnFork, FifoPriority(level)) ? new RaisedScope(policy, previous.Priority) : default;
    }

    /// <summary>Restores what <see cref="Raise"/> changed, on the thread that raised it.</summary>
    public readonly struct RaisedScope(int policy, int priority) : IDisposable
    {
        private readonly bool _raised = true;

        public void Dispose()
        {
            if (_raised) TrySet(policy, priority);
        }
    }

    // ggml's real-time FIFO priority for each level (ggml-cpu.c, ggml_thread_apply_priority)
    private static int FifoPriority(DecodePriority level) => level switch
    {
        DecodePriority.Medium => 40,
        DecodePriority.High => 80,
        _ => 90,
    };

    private static bool TrySet(int policy, int priority)
    {
        var p = new SchedParam { Priority = priority };
        try
        {
            return sched_setscheduler(0, policy, ref p) == 0;
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

    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc")]
    private static partial int sched_getparam(int pid, ref SchedParam param);
}
