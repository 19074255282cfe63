using System.Text;
using Chorus.Api;
using Grpc.Core;

namespace Chorus.Bench.Reliability;

/// <summary>Each hostile request once: the status it gets, how fast, and the KV sequences still taken afterwards.</summary>
internal static class HostileBench
{
    private static readonly TimeSpan SlotsFreeWithin = TimeSpan.FromSeconds(1);
    private static readonly string Model = BenchSilo.Members[0];

    internal sealed record Row(string Case, string Expected, string Status, string Detail, double AnswerMs, int ActiveSequencesAfter);

    private sealed record Answer(StatusCode Status, string Detail, double AnswerMs);

    public static async Task<List<Row>> RunAsync(Func<Task<BenchSilo>> startSilo)
    {
        var cases = new (string Name, string Expected, Func<BenchSilo, Task<Answer>> Run)[]
        {
            ("duplicates ×2", "OK", s => GenerateAsync(s, StreamResult.Request([Model, Model], 8))),
            ($"duplicates ×{BenchSilo.Slots + 1} (> slots)", "InvalidArgument", s => GenerateAsync(s, StreamResult.Request(Enumerable.Repeat(Model, BenchSilo.Slots + 1), 8))),
            ("duplicates ×1000", "InvalidArgument", s => GenerateAsync(s, StreamResult.Request(Enumerable.Repeat(Model, 1000), 8))),
            ("cancel while queued", "Cancelled", CancelWhileQueuedAsync),
            ("cancel during prefill", "Cancelled", s => GenerateAsync(s, StreamResult.Request([Model], 8, LongPrompt(300)), cancelAfter: TimeSpan.FromMilliseconds(3))),
            ("cancel mid-stream (after 3 tokens)", "Cancelled", s => GenerateAsync(s, StreamResult.Request(BenchSilo.Members, 64), cancelAfterTokens: 3)),
            ("context length", "OK, reason length", s => GenerateAsync(s, StreamResult.Request([BenchSilo.SmallContextModel], 2048))),
            ("prompt longer than the context", "InvalidArgument", s => GenerateAsync(s, StreamResult.Request([BenchSilo.SmallContextModel], 8, LongPrompt(600)))),
            ("invalid UTF-8 prompt", "InvalidArgument", InvalidUtf8Async),
            ("top_p NaN", "InvalidArgument", s => GenerateAsync(s, With(StreamResult.Request([Model], 8), r => r.Sampling.TopP = float.NaN))),
            ("max_tokens −5", "InvalidArgument", s => GenerateAsync(s, StreamResult.Request([Model], -5))),
            ("deadline_ms −1", "InvalidArgument", s => GenerateAsync(s, With(StreamResult.Request([Model], 8), r => r.Limits.DeadlineMs = -1))),
            ("3 MB prompt", "InvalidArgument", s => GenerateAsync(s, StreamResult.Request([Model], 8, new string('a', 3 << 20)))),
            ("no API key", "Unauthenticated", s => GenerateAsync(s, StreamResult.Request([Model], 8), client: new Api.Chorus.ChorusClient(s.Channel))),
            ("wrong API key", "Unauthenticated", s => GenerateAsync(s, StreamResult.Request([Model], 8), client: new Api.Chorus.ChorusClient(s.Channel),
                headers: new Metadata { { "authorization", "Bearer not-the-key" } })),
        };
        var rows = new List<Row>();
        var silo = await StartWarmAsync(startSilo);
        try
        {
            foreach (var (name, expected, run) in cases)
            {
                if (rows is [.., { ActiveSequencesAfter: not 0 }])
                {
                    // a case that crashed the silo or leaked slots must not colour the next one's figures: a fresh silo
                    await silo.DisposeAsync();
                    silo = await StartWarmAsync(startSilo);
                }
                var answer = await run(silo);
                var (active, _) = await silo.ActiveSequencesSettledAsync(SlotsFreeWithin);
                rows.Add(new Row(name, expected, answer.Status.ToString(), active < 0 ? $"the silo process died: {answer.Detail}" : answer.Detail, answer.AnswerMs, active));
            }
        }
        finally
        {
            await silo.DisposeAsync();
        }

        Console.WriteLine($"# reliability hostile  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  cores={Environment.ProcessorCount}  models {string.Join(", ", BenchSilo.Members)} ({BenchSilo.Slots} slots), {BenchSilo.SmallContextModel} (context {BenchSilo.SmallContext} configured)");
        Console.WriteLine();
        Report.Table(["case", "expected", "status", "detail", "answer (ms)", $"active sequences {SlotsFreeWithin.TotalSeconds:F0} s after"],
            rows.Select(r => new[] { r.Case, r.Expected, r.Status, Report.Shorten(r.Detail), Report.Ms(r.AnswerMs), $"{r.ActiveSequencesAfter}" }));
        Console.WriteLine("Active sequences −1: the silo process died in that case. After a case that died or left slots taken, the next case ran on a fresh silo.");
        Console.WriteLine();
        return rows;
    }

    private static async Task<BenchSilo> StartWarmAsync(Func<Task<BenchSilo>> startSilo)
    {
        var silo = await startSilo();
        using var warm = new CancellationTokenSource();
        await StreamResult.ReadAsync(silo.Client, StreamResult.Request(BenchSilo.Members, 4), warm); // first activations, vocabularies
        return silo;
    }

    private static async Task<Answer> GenerateAsync(BenchSilo silo, GenerateRequest request, TimeSpan? cancelAfter = null, int? cancelAfterTokens = null,
        Api.Chorus.ChorusClient? client = null, Metadata? headers = null)
    {
        using var cancellation = new CancellationTokenSource();
        if (cancelAfter is { } delay) cancellation.CancelAfter(delay);
        var tokens = 0;
        Func<GenerateEvent, bool>? cancelWhen = cancelAfterTokens is { } k ? e => e.Token is not null && ++tokens >= k : null;
        var r = await StreamResult.ReadAsync(client ?? silo.Client, request, cancellation, DateTime.UtcNow.AddSeconds(60), cancelWhen, headers);
        return new Answer(r.Status, r.Reason is { } reason ? $"reason {reason}, {r.Tokens} tokens" : r.Detail, r.FirstAnswerMs);
    }

    // Fill the model's slots with long sessions, then one more waits for a slot and is cancelled when told it is queued.
    private static async Task<Answer> CancelWhileQueuedAsync(BenchSilo silo)
    {
        using var fillers = new CancellationTokenSource();
        var started = Enumerable.Range(0, BenchSilo.Slots).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var running = started.Select(s => StreamResult.ReadAsync(silo.Client, StreamResult.Request([Model], 400), fillers, DateTime.UtcNow.AddSeconds(60),
            e => { if (e.Started is not null || e.Finished is not null) s.TrySetResult(); return false; })).ToList();
        await Task.WhenAny(Task.WhenAll(started.Select(s => s.Task)), Task.WhenAll(running));

        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(5)); // never waits longer, queued or not
        var r = await StreamResult.ReadAsync(silo.Client, StreamResult.Request([Model], 8), cancellation, DateTime.UtcNow.AddSeconds(60),
            e => e.Queued is not null);
        await fillers.CancelAsync();
        await Task.WhenAll(running);
        return new Answer(r.Status, r.SawQueued ? $"queued, then {r.Detail}" : $"never queued: {r.Detail}", r.FirstAnswerMs);
    }

    private static async Task<Answer> InvalidUtf8Async(BenchSilo silo)
    {
        byte[] notUtf8 = [0x48, 0x69, 0x20, 0xC3, 0x28, 0xFF, 0xFE, 0x20, 0xED, 0xA0, 0x80]; // bad continuation, 0xFF/0xFE, a UTF-16 surrogate
        var (status, detail, ms) = await RawGenerate.CallAsync(silo.Invoker, RawGenerate.Request([Model], notUtf8, 8), TimeSpan.FromSeconds(60));
        return new Answer(status, detail, ms);
    }

    private static string LongPrompt(int words)
    {
        var text = new StringBuilder();
        for (var i = 0; i < words; i++) text.Append(i % 2 == 0 ? "river " : "valley ");
        return text.ToString();
    }

    private static GenerateRequest With(GenerateRequest request, Action<GenerateRequest> change)
    {
        change(request);
        return request;
    }
}
