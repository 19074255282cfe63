using System.Globalization;

namespace Chorus.Bench.Load;

/// <summary>The <c>run</c> command's settings (bench/load/README in bench/README.md, "Serving under load").</summary>
internal sealed class LoadSettings
{
    public List<ServerTarget> Targets { get; } = [];
    public List<string> Workloads { get; private set; } = ["single"];
    public List<LoadPoint> Loads { get; private set; } = [new LoadPoint(true, 16, 0)];
    public int Rounds { get; private set; } = 2;

    /// <summary>How long each cell sends new jobs; jobs in flight at the end still finish and count.</summary>
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Jobs per cell instead of a duration (0 = by duration).</summary>
    public int Jobs { get; private set; }

    /// <summary>Tokens per completion of <c>single</c> and <c>mixed</c>.</summary>
    public int MaxTokens { get; private set; } = 64;

    /// <summary>Turns of one chat session.</summary>
    public int Turns { get; private set; } = 5;

    /// <summary>Share of <c>mixed</c>'s requests that carry a long prompt.</summary>
    public double LongShare { get; private set; } = 0.1;

    /// <summary>About how many tokens a long prompt of <c>mixed</c> has (cut by words; usage reports the real count).</summary>
    public int LongTokens { get; private set; } = 2000;

    public int Seed { get; private set; } = 1;
    public string? Corpus { get; private set; }
    public string? JsonPath { get; private set; }
    public bool Warmup { get; private set; } = true;
    public TimeSpan RequestTimeout { get; private set; } = TimeSpan.FromMinutes(10);

    /// <summary>A free-text line printed in the report's header (the servers' settings, from the driver script).</summary>
    public string Note { get; private set; } = "";

    public static LoadSettings Parse(IReadOnlyList<string> args)
    {
        var s = new LoadSettings();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
            switch (name)
            {
                case "--target": s.Targets.Add(ServerTarget.Parse(Value())); break;
                case "--workloads": s.Workloads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--loads": s.Loads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(LoadPoint.Parse)]; break;
                case "--clients": s.Loads = [.. Value().Split(',').Select(c => LoadPoint.Parse("closed:" + c))]; break;
                case "--rounds": s.Rounds = Int(); break;
                case "--duration": s.Duration = TimeSpan.FromSeconds(Double()); break;
                case "--jobs": s.Jobs = Int(); break;
                case "--max-tokens": s.MaxTokens = Int(); break;
                case "--turns": s.Turns = Int(); break;
                case "--long-share": s.LongShare = Double(); break;
                case "--long-tokens": s.LongTokens = Int(); break;
                case "--seed": s.Seed = Int(); break;
                case "--corpus": s.Corpus = Value(); break;
                case "--json": s.JsonPath = Value(); break;
                case "--note": s.Note = Value(); break;
                case "--no-warmup": s.Warmup = false; break;
                case "--request-timeout": s.RequestTimeout = TimeSpan.FromSeconds(Double()); break;
                default: throw new ArgumentException($"unknown argument '{name}' (see the usage: Chorus.LoadBench --help)");
            }
        }
        if (s.Targets.Count == 0) throw new ArgumentException("no server to load: give at least one --target NAME=URL");
        if (s.Rounds < 1 || s.MaxTokens < 1 || s.Turns < 1) throw new ArgumentException("--rounds, --max-tokens and --turns must be at least 1");
        if (s.LongShare is < 0 or > 1) throw new ArgumentException("--long-share is a fraction in [0, 1]");
        return s;
    }
}
