using System.Globalization;
using Chorus.Bench.Load.Client;

namespace Chorus.Bench.Load.Workloads;

/// <summary>
/// <c>chat</c>: a session of several turns, as a chat client runs one — each turn re-sends the whole conversation with
/// the assistant's last reply and a new 20–40-word user message, and asks for 32–64 tokens. Each request is labelled
/// with its turn ("turn 5"), so prefix reuse shows as the later turns' time to first token. A failed turn ends the
/// session (a real client could not go on either).
/// </summary>
internal sealed class ChatWorkload(PromptCorpus corpus, int turns) : IWorkload
{
    public string Name => "chat";

    public async Task RunAsync(JobContext job, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>();
        for (var turn = 1; turn <= turns; turn++)
        {
            messages.Add(new ChatMessage("user", corpus.Words(job.Random, 20, 40)));
            var request = CompletionRequest.Chat(Label(turn), messages, job.Random.Next(32, 65));
            var result = await job.Client.SendAsync(job.Target, request, cancellationToken);
            job.Log.Add(result);
            if (!result.Ok) return;
            messages.Add(new ChatMessage("assistant", result.Text));
        }
    }

    public static string Label(int turn) => "turn " + turn.ToString(CultureInfo.InvariantCulture);
}
