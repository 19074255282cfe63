using System.Globalization;
using Chorus.Api;

namespace Chorus.Client.Commands;

/// <summary>
/// Writes a generation's events as they arrive: the text streamed to stdout (one line per token with weights when
/// asked), a summary on stderr; or, with --json, one JSON object per event and line.
/// </summary>
internal sealed class GenerationPrinter(CommandContext context, bool json, bool showWeights)
{
    public Finished? Finished { get; private set; }
    public int Tokens { get; private set; }

    public async Task WriteAsync(GenerateEvent e)
    {
        if (json)
        {
            await context.Output.WriteLineAsync(JsonOutput.Serialize(JsonEvent(e)));
            await context.Output.FlushAsync();
            if (e.EventCase == GenerateEvent.EventOneofCase.Finished) await WriteSummaryAsync(e.Finished);
            return;
        }
        switch (e.EventCase)
        {
            case GenerateEvent.EventOneofCase.Queued:
                await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"queued for {e.Queued.Model}: position {e.Queued.Position} of {e.Queued.QueueLength} (waited {e.Queued.WaitedMs / 1000:F1} s)"));
                break;
            case GenerateEvent.EventOneofCase.Started:
                await context.Error.WriteLineAsync($"method {e.Started.Method}, members: " +
                    string.Join(", ", e.Started.Members.Select(m => $"{m.Model} ({m.Role}, {m.Silo}, prompt {m.PromptTokens} tokens{(double.IsFinite(m.PromptPerplexity) ? $", ppl {m.PromptPerplexity:F1}" : "")})")));
                break;
            case GenerateEvent.EventOneofCase.Token:
                await WriteTokenAsync(e.Token);
                break;
            case GenerateEvent.EventOneofCase.Finished:
                if (!showWeights) await context.Output.WriteLineAsync();
                await WriteSummaryAsync(e.Finished);
                break;
        }
        await context.Output.FlushAsync();
    }

    private async Task WriteTokenAsync(TokenEvent t)
    {
        if (t.TokenId >= 0) Tokens++;
        if (!showWeights)
        {
            await context.Output.WriteAsync(t.Text);
            return;
        }
        var weights = string.Join(' ', t.Weights.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}={w.Value:F3}"));
        var diagnostics = string.Join(' ', t.Diagnostics.Where(d => d.Key != "ensembled").OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}"));
        await context.Output.WriteLineAsync($"{t.Index,4} {Quote(t.Text),-16} {weights}  {diagnostics}".TrimEnd());
    }

    private async Task WriteSummaryAsync(Finished f)
    {
        Finished = f;
        var t = f.Timings;
        var speculative = t.Rounds > 0 ? string.Create(CultureInfo.InvariantCulture, $"; speculative: {t.AcceptedTokens}/{t.DraftedTokens} drafts accepted in {t.Rounds} rounds ({t.PipelinedRounds} drafted ahead, {t.PlainRounds} plain{(t.FreeGuesses > 0 ? $", {t.FreeGuessesKept}/{t.FreeGuesses} free guesses right" : "")}{(t.SpeculationPaused.Length > 0 ? $"; drafting last paused for {t.SpeculationPaused}" : "")})") : "";
        await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{f.Usage.CompletionTokens} tokens, {t.TokensPerSecond:F1} tokens/s, reason: {f.Reason} " +
            $"(prompt {f.Usage.PromptTokens} tokens, prefill {t.PrefillMs:F0} ms, fuse {t.MeanFuseMs:F2} ms/step, members {t.MeanStepMs:F2} ms/step, total {t.TotalMs / 1000:F2} s){speculative}"));
    }

    private static object JsonEvent(GenerateEvent e) => e.EventCase switch
    {
        GenerateEvent.EventOneofCase.Queued => new
        {
            @event = "queued", model = e.Queued.Model, position = e.Queued.Position, queueLength = e.Queued.QueueLength, waitedMs = e.Queued.WaitedMs,
        },
        GenerateEvent.EventOneofCase.Started => new
        {
            @event = "started", session = e.Started.Session, method = e.Started.Method,
            members = e.Started.Members.Select(m => new { model = m.Model, role = m.Role, silo = m.Silo, promptTokens = m.PromptTokens, promptPerplexity = double.IsFinite(m.PromptPerplexity) ? m.PromptPerplexity : (double?)null }),
        },
        GenerateEvent.EventOneofCase.Token => new
        {
            @event = "token", index = e.Token.Index, text = e.Token.Text, tokenId = e.Token.TokenId,
            weights = e.Token.Weights.Count > 0 ? e.Token.Weights : null,
            diagnostics = e.Token.Diagnostics.Count > 0 ? e.Token.Diagnostics : null,
            fuseMs = e.Token.FuseMs, stepMs = e.Token.StepMs,
        },
        GenerateEvent.EventOneofCase.Finished => (object)new
        {
            @event = "finished", reason = e.Finished.Reason, text = e.Finished.Text,
            promptTokens = e.Finished.Usage.PromptTokens, completionTokens = e.Finished.Usage.CompletionTokens,
            prefillMs = e.Finished.Timings.PrefillMs, totalMs = e.Finished.Timings.TotalMs, tokensPerSecond = e.Finished.Timings.TokensPerSecond,
            meanFuseMs = e.Finished.Timings.MeanFuseMs, meanStepMs = e.Finished.Timings.MeanStepMs,
            draftedTokens = e.Finished.Timings.DraftedTokens, acceptedTokens = e.Finished.Timings.AcceptedTokens, rounds = e.Finished.Timings.Rounds, pipelinedRounds = e.Finished.Timings.PipelinedRounds, plainRounds = e.Finished.Timings.PlainRounds, speculationPaused = e.Finished.Timings.SpeculationPaused,
            freeGuesses = e.Finished.Timings.FreeGuesses, freeGuessesKept = e.Finished.Timings.FreeGuessesKept,
            split = new
            {
                callMs = e.Finished.Timings.MeanCallMs, transportMs = e.Finished.Timings.MeanTransportMs, queueMs = e.Finished.Timings.MeanQueueMs,
                decodeMs = e.Finished.Timings.MeanDecodeMs, readMs = e.Finished.Timings.MeanReadMs, grainMs = e.Finished.Timings.MeanGrainMs,
                fuseMs = e.Finished.Timings.MeanFuseMs - e.Finished.Timings.MeanSampleMs, sampleMs = e.Finished.Timings.MeanSampleMs,
                streamMs = e.Finished.Timings.MeanStreamMs,
            },
        },
        _ => new { @event = "unknown" },
    };

    private static string Quote(string piece) =>
        "\"" + piece.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
}
