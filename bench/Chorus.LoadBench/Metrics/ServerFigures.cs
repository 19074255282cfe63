namespace Chorus.Bench.Load.Metrics;

/// <summary>
/// What a server says about one cell, from its metrics before and after: sequences per <c>llama_decode</c> (how full its
/// batches are: llama-server's busy slots per decode, Chorus's <c>chorus_decode_sequences</c>), and prompt tokens reused
/// from a prefix cache against all prompt tokens. Null where the server has no such metric — an older Chorus without
/// the decode histograms or the prefix counters — and the report prints "n/a".
/// </summary>
internal sealed record ServerFigures(double? RowsPerDecode, double? PrefixHitTokens, double? PromptTokens, double? Decodes)
{
    public static readonly ServerFigures None = new(null, null, null, null);

    /// <summary>Reused ÷ all prompt tokens: the share of prompt tokens the server did not compute.</summary>
    public double? PrefixHitShare => PrefixHitTokens is { } hit && PromptTokens is { } all && all > 0 ? hit / all : null;

    public static ServerFigures Between(ServerKind kind, PrometheusText before, PrometheusText after) =>
        kind == ServerKind.Llama ? Llama(before, after) : Chorus(before, after);

    // llama-server: n_busy_slots_per_decode is an average since start, so the cell's own average comes from the
    // totals it was made of (busy slots = average × decodes)
    private static ServerFigures Llama(PrometheusText before, PrometheusText after)
    {
        static double? Busy(PrometheusText m) => m.Get("llamacpp:n_busy_slots_per_decode") * m.Get("llamacpp:n_decode_total");
        var decodes = Delta(before.Get("llamacpp:n_decode_total"), after.Get("llamacpp:n_decode_total"));
        var busy = Delta(Busy(before), Busy(after));
        // prompt_tokens_total counts the tokens it processed, the cached ones not among them
        var cached = Delta(before.Get("llamacpp:prompt_tokens_cached_total"), after.Get("llamacpp:prompt_tokens_cached_total"));
        var processed = Delta(before.Get("llamacpp:prompt_tokens_total"), after.Get("llamacpp:prompt_tokens_total"));
        return new ServerFigures(decodes > 0 ? busy / decodes : null, cached, processed + (cached ?? 0), decodes);
    }

    // Chorus (docs/observability.md): the sequences-per-decode histogram and the prefix counters (chorus_prefill_tokens
    // counts every prompt token of a fresh sequence, the reused ones among them), summed over the models
    private static ServerFigures Chorus(PrometheusText before, PrometheusText after)
    {
        var rows = Delta(before.Find("chorus_decode_sequences", "_sum"), after.Find("chorus_decode_sequences", "_sum"));
        var decodes = Delta(before.Find("chorus_decode_sequences", "_count"), after.Find("chorus_decode_sequences", "_count"));
        return new ServerFigures(decodes > 0 ? rows / decodes : null,
            Delta(before.Get("chorus_prefix_hit_tokens_total"), after.Get("chorus_prefix_hit_tokens_total")),
            Delta(before.Get("chorus_prefill_tokens_total"), after.Get("chorus_prefill_tokens_total")), decodes);
    }

    // a metric that first appears during the cell started from zero
    private static double? Delta(double? before, double? after) => after is { } a ? a - (before ?? 0) : null;
}
