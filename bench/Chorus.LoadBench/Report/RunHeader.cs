using System.Globalization;
using System.Runtime.InteropServices;

namespace Chorus.Bench.Load.Report;

/// <summary>Where and how a run was made: the machine is shared, so its load average goes with every figure.</summary>
internal sealed record RunHeader(string StartedUtc, int Cores, string Cpu, string LoadAverageAtStart, string Settings, string Note, IReadOnlyList<string> Targets)
{
    public static RunHeader Describe(LoadSettings s) => new(
        DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC", Environment.ProcessorCount, CpuModel(), LoadAverage(),
        string.Create(CultureInfo.InvariantCulture,
            $"workloads {string.Join(',', s.Workloads)}; loads {string.Join(", ", s.Loads)}; {s.Rounds} rounds; {(s.Jobs > 0 ? $"{s.Jobs} jobs" : $"{s.Duration.TotalSeconds:0} s")} per cell; max tokens {s.MaxTokens}; chat {s.Turns} turns; mixed {s.LongShare:P0} long (~{s.LongTokens} tokens); seed {s.Seed}"),
        s.Note, [.. s.Targets.Select(t => $"{t.Name} ({t.Kind}, model {t.Model}) {t.BaseUrl}")]);

    public string Markdown() =>
        $"# Chorus.LoadBench {StartedUtc} · {Cores} cores ({Cpu}) · load average {LoadAverageAtStart}\n\n{Settings}" +
        (Note.Length > 0 ? $"\n\n{Note}" : "") + "\n\n" + string.Join('\n', Targets.Select(t => "- " + t));

    /// <summary>The 1, 5 and 15-minute load averages (Linux), e.g. "3.21 2.80 2.10".</summary>
    public static string LoadAverage()
    {
        try
        {
            return RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown CPU";
        }
    }
}
