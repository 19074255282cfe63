namespace Chorus.Fusion;

/// <summary>
/// <c>byte</c>: exact byte-level fusion across vocabularies. Each member's next-byte distribution comes from its own
/// next-token distributions over the covers of the text (<see cref="ByteCoverTree"/>, after Hayase et al. 2025 and
/// Phan et al. 2024); they are mixed with the <c>weights</c> rule (<c>online</c>: fixed share per byte from the
/// prompt weights, the default; <c>packllm</c>: PackLLM-sim's prompt weights, per byte; <c>uniform</c>), the UTF-8 mask
/// removes bytes that cannot continue valid text, a byte is chosen, and every member's tree advances past it.
/// Parameters: <c>prune</c> (share of the prefix mass below which a branch is dropped, 1e-3), <c>max-branches</c>
/// (KV sequences per member, 4), <c>switching-rate</c> (per byte, 0.0025 ≈ the token rule's 0.01 at ~4 bytes per
/// token), <c>temperature</c> (PackLLM's τ, 1).
/// </summary>
/// <remarks>
/// The method runs per byte, not per token: the cluster's byte run drives the trees and the members' KV sequences, so
/// <see cref="ByteSession"/> only carries the prepared weights; its token-level <c>Fuse</c> is refused.
/// </remarks>
public sealed class ByteMethod : FusionMethod
{
    public const string Uniform = "uniform";
    public const string PackLlm = "packllm";
    public const string Online = "online";
    public const double DefaultSwitchingRate = 0.0025;

    private ByteMethod(BytePruning pruning, string weights, double switchingRate, double temperature)
        : base(FusionMethods.Byte, new MethodRequirements(0, VocabularyAlignment.Bytes, NeedsPromptEvidence: true))
    {
        Pruning = pruning;
        Weights = weights;
        SwitchingRate = switchingRate;
        Temperature = temperature;
    }

    public BytePruning Pruning { get; }
    public string Weights { get; }
    public double SwitchingRate { get; }
    public double Temperature { get; }

    internal static ByteMethod Create(MethodParameters p)
    {
        var pruning = new BytePruning(p.GetDouble("prune", BytePruning.Default.Threshold, 0, 0.5), p.GetInt("max-branches", BytePruning.Default.MaxBranches, 1, 64));
        var weights = p.GetChoice("weights", Online, Online, PackLlm, Uniform);
        var rate = p.GetDouble("switching-rate", DefaultSwitchingRate, 0, 0.999);
        var temperature = p.GetDouble("temperature", 1.0, 1e-6, 1e6);
        p.GetInt("top-k", 0, 0, 0); // byte-level fusion needs full logits: only top-k=0 is accepted
        return new ByteMethod(pruning, weights, rate, temperature);
    }

    protected override FusionSession CreateSession(PreparedPack pack)
    {
        var start = Weights == Uniform ? FixedShareWeights.Uniform(pack.Count) : Array.ConvertAll(PackLlmSimMethod.Weights(pack, Temperature), w => (double)w);
        var weighting = Weights == Online ? ByteWeighting.FixedShare(start, SwitchingRate) : ByteWeighting.Fixed(start);
        return new ByteSession(pack, Requirements, weighting);
    }
}

/// <summary>What <c>byte</c> prepares for a request: the member weighting rule, started from the prompt.</summary>
public sealed class ByteSession : FusionSession
{
    internal ByteSession(PreparedPack pack, MethodRequirements requirements, ByteWeighting weighting) : base(pack, requirements) => Weighting = weighting;

    public ByteWeighting Weighting { get; }

    protected override FusedStep FuseCore(IReadOnlyList<TokenDistribution> distributions) =>
        throw new FusionPackException("method 'byte' fuses next-byte distributions, byte by byte; it has no token-level step (the cluster's byte run drives it)");
}
