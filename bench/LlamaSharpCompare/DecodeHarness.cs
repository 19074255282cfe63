using System.Diagnostics;

namespace LlamaSharpCompare;

/// <summary>The timing of one decode run: tokens, wall time, and the part of it spent inside the engine's decode call.</summary>
public sealed record DecodeRun(int Tokens, TimeSpan Wall, TimeSpan InDecode)
{
    public double TokensPerSecond => Tokens / Wall.TotalSeconds;
}

/// <summary>
/// Times N greedy single-token steps after a prefilled prompt, on one model alone or on two models at once
/// (each driven by its own OS thread, released together by a barrier; the prefill is not timed).
/// </summary>
public static class DecodeHarness
{
    public static DecodeRun Alone(ITokenDecoder decoder, IReadOnlyList<int> prompt, int tokens)
    {
        var token = decoder.Prefill(prompt);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < tokens; i++) token = decoder.Step(token);
        return new DecodeRun(tokens, Stopwatch.GetElapsedTime(started), decoder.InDecode);
    }

    /// <summary>
    /// Both models decoding at once; returns each thread's run, the wall time until both finished, the process's CPU
    /// time meanwhile and the whole machine's busy CPU time (so what other processes took is the difference).
    /// </summary>
    public static (DecodeRun A, DecodeRun B, TimeSpan Wall, TimeSpan Cpu, TimeSpan MachineCpu) Together(ITokenDecoder a, ITokenDecoder b, IReadOnlyList<int> prompt, int tokens)
    {
        using var start = new Barrier(3);
        var runs = new DecodeRun?[2];
        Exception? failure = null;
        Thread Drive(ITokenDecoder decoder, int slot) => new(() =>
        {
            try
            {
                var token = decoder.Prefill(prompt);
                start.SignalAndWait();
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < tokens; i++) token = decoder.Step(token);
                runs[slot] = new DecodeRun(tokens, Stopwatch.GetElapsedTime(started), decoder.InDecode);
            }
            catch (Exception e)
            {
                failure = e;
                start.RemoveParticipant();
            }
        }) { IsBackground = true, Name = $"decode-{slot}" };
        var threads = new[] { Drive(a, 0), Drive(b, 1) };
        foreach (var t in threads) t.Start();
        using var process = Process.GetCurrentProcess();
        start.SignalAndWait();
        var began = Stopwatch.GetTimestamp();
        var cpuBefore = process.TotalProcessorTime;
        var machineBefore = MachineBusy();
        foreach (var t in threads) t.Join();
        var wall = Stopwatch.GetElapsedTime(began);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var machine = MachineBusy() - machineBefore;
        if (failure is not null) throw new InvalidOperationException("a decode thread failed", failure);
        return (runs[0]!, runs[1]!, wall, cpu, machine);
    }

    /// <summary>Busy CPU time of the whole machine so far (/proc/stat: all but idle and iowait, in clock ticks of 10 ms).</summary>
    private static TimeSpan MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return TimeSpan.FromMilliseconds(10.0 * (fields.Sum() - fields[3] - fields[4]));
    }
}
