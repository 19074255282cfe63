using Chorus.Bench.Load.Client;
using Chorus.Bench.Load.Load;
using Chorus.Bench.Load.Metrics;
using Chorus.Bench.Load.Report;
using Chorus.Bench.Load.Workloads;

namespace Chorus.Bench.Load;

/// <summary>
/// The <c>run</c> command: every round runs every workload at every load on every server in turn (server A, server B,
/// server A, …), so each round's servers meet the same machine; a cell's server figures are its metrics' change
/// from just before to just after it.
/// </summary>
internal static class LoadRun
{
    public static async Task<int> RunAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        var corpus = PromptCorpus.Load(settings.Corpus);
        var workloads = settings.Workloads.Select(w => WorkloadCatalog.Create(w, settings, corpus)).ToList();
        using var client = new OpenAiStreamClient(settings.RequestTimeout);
        using var metricsHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var scraper = new MetricsScraper(metricsHttp);
        var driver = new LoadDriver(client, settings);
        var header = RunHeader.Describe(settings);
        Console.Error.WriteLine($"prompts from {corpus.Path} ({corpus.WordCount:N0} words)");

        if (settings.Warmup)
        {
            foreach (var target in settings.Targets)
                if (!await Warmup.RunAsync(client, target, corpus, settings, cancellationToken)) return 1;
        }
        var cells = new List<CellResult>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            for (var w = 0; w < workloads.Count; w++)
            {
                for (var l = 0; l < settings.Loads.Count; l++)
                {
                    // one seed per (round, workload, load): the servers of a cell get the same prompts, later rounds new ones
                    // (so that no server's prompt cache holds the last round's prompts)
                    var seed = LoadDriver.Mix(settings.Seed, round * 10_000 + w * 100 + l);
                    foreach (var target in settings.Targets)
                    {
                        var load = settings.Loads[l];
                        var before = await scraper.ScrapeAsync(target, cancellationToken);
                        var loadBefore = RunHeader.LoadAverage().Split(' ')[0];
                        var (requests, wall) = await driver.RunAsync(target, workloads[w], load, seed, cancellationToken);
                        var after = await scraper.ScrapeAsync(target, cancellationToken);
                        var loadAfter = RunHeader.LoadAverage().Split(' ')[0];
                        var cell = CellResult.From(round, target, workloads[w].Name, load, requests, wall,
                            ServerFigures.Between(target.Kind, before, after), $"{loadBefore}→{loadAfter}");
                        cells.Add(cell);
                        Console.Error.WriteLine($"round {round} {target.Name} {cell.Workload} {cell.Load}: {cell.Ok} ok, {cell.Failed} failed, " +
                            $"{cell.TokensPerSecond:0} tokens/s, TTFT p50 {cell.TtftP50Ms:0} ms, load {cell.LoadAverage}");
                    }
                }
            }
        }
        Console.WriteLine(MarkdownReport.Write(header.Markdown(), settings.Targets, cells));
        if (settings.JsonPath is { } json) await JsonReport.WriteAsync(json, header, cells);
        return cells.Any(c => c.Ok == 0) ? 1 : 0;
    }
}
