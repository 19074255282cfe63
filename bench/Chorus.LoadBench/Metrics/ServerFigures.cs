namespace Chorus.Bench.Load.Metrics;

/// <summary>
/// What a server says about one cell, from its metrics before and after: rows (sequences) per <c>llama_decode</c>, and
/// prompt tokens reused from a prefix cache against those prefilled. Null where the server has no such metric — an
/// older Chorus without <c>chorus_decode_rows</c> or the prefix counters — and the report prints "n/a".
/// </summary>
internal sealed record ServerFigures(double? RowsPerDecode, double? PrefixHitTokens, double? PrefilledTokens, double? Decodes)
{
    public static readonly ServerFigures None = new(null, null, null, null);

    /// <summary>Reused ÷ (reused + prefilled): the share of prompt tokens the server did not compute.</summary>
    public double? PrefixHitShare => PrefixHitTokens is { } hit && PrefilledTokens is { } pre && hit + pre > 0 ? hit / (hit + pre) : null;

    public static ServerFigures Between(ServerKind kind, PrometheusText before, PrometheusText after) =>
        kind == ServerKind.Llama ? Llama(before, after) : Chorus(before, after);

    // llama-server: n_busy_slots_per_decode is an average since start, so the cell's own average comes from the
    // totals it was made of (busy slots = average × decodes)
    private static ServerFigures Llama(PrometheusText before, PrometheusText after)
    {
        static double? Busy(PrometheusText m) => m.Get("llamacpp:n_busy_slots_per_decode") * m.Get("llamacpp:n_decode_total");
        var decodes = Delta(before.Get("llamacpp:n_decode_total"), after.Get("llamacpp:n_decode_total"));
        var busy = Delta(Busy(before), Busy(after));
        return new ServerFigures(decodes > 0 ? busy / decodes : null,
            Delta(before.Get("llamacpp:prompt_tokens_cached_total"), after.Get("llamacpp:prompt_tokens_cached_total")),
            Delta(before.Get("llamacpp:prompt_tokens_total"), after.Get("llamacpp:prompt_tokens_total")), decodes);
    }

    // Chorus (docs/observability.md): the rows-per-decode histogram and the prefix counters, summed over the models
    private static ServerFigures Chorus(PrometheusText before, PrometheusText after)
    {
        var rows = Delta(before.Find("chorus_decode_rows", "_sum"), after.Find("chorus_decode_rows", "_sum"));
        var decodes = Delta(before.Find("chorus_decode_rows", "_count"), after.Find("chorus_decode_rows", "_count"));
        return new ServerFigures(decodes > 0 ? rows / decodes : null,
            Delta(before.Get("chorus_prefix_hit_tokens_total"), after.Get("chorus_prefix_hit_tokens_total")),
            Delta(before.Get("chorus_prefill_tokens_total"), after.Get("chorus_prefill_tokens_total")), decodes);
    }

    // a metric that first appears during the cell started from zero
    private static double? Delta(double? before, double? after) => after is { } a ? a - (before ?? 0) : null;
}
