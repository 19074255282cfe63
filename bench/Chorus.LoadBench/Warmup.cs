using Chorus.Bench.Load.Client;
using Chorus.Bench.Load.Workloads;

namespace Chorus.Bench.Load;

/// <summary>
/// Before the first round: one request until the server answers (a silo activates its model grains on first use; 60 s
/// at most), a chat if the run has chats, then a burst as wide as the widest load — so that no measured cell pays for
/// loading, JIT or opening connections.
/// </summary>
internal static class Warmup
{
    public static async Task<bool> RunAsync(OpenAiStreamClient client, ServerTarget target, PromptCorpus corpus, LoadSettings settings, CancellationToken ct)
    {
        var random = new Random(-settings.Seed);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        RequestResult first;
        while (!(first = await client.SendAsync(target, CompletionRequest.Completion("warm-up", corpus.Words(random, 30, 60), 8), ct)).Ok)
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"{target.Name}: the warm-up request still fails after 60 s: {first.Error}");
                return false;
            }
            await Task.Delay(1000, ct);
        }
        if (settings.Workloads.Contains("chat"))
        {
            var chat = await client.SendAsync(target, CompletionRequest.Chat("warm-up", [new ChatMessage("user", corpus.Words(random, 20, 40))], 8), ct);
            if (!chat.Ok)
            {
                Console.Error.WriteLine($"{target.Name}: a chat completion fails: {chat.Error}");
                return false;
            }
        }
        var width = settings.Loads.Max(l => l.Closed ? l.Clients : 8);
        var prompts = Enumerable.Range(0, width).Select(_ => corpus.Words(random, 30, 60)).ToList();
        var burst = await Task.WhenAll(prompts.Select(p => client.SendAsync(target, CompletionRequest.Completion("warm-up", p, 8), ct)));
        Console.Error.WriteLine($"{target.Name}: warmed up ({burst.Count(r => r.Ok)} of {width} concurrent requests ok)");
        return true;
    }
}
