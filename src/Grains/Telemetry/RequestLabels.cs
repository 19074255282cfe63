using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// The labels of a generation's metrics: <c>model</c> (the main member), <c>pack</c> (the configured pack, or "none"),
/// <c>method</c> and <c>front_end</c> (grpc, http). Only names the cluster knows become label values — anything else is
/// "other" — so a client cannot grow the number of series by sending made-up names.
/// </summary>
public static class RequestLabels
{
    public const string Grpc = "grpc", Http = "http", None = "none", Other = "other";

    public static KeyValuePair<string, object?>[] Of(GenerationRequest request, string frontEnd, ChorusOptions options, ClusterModelDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(directory);
        string model = Other, method = Other;
        var pack = string.IsNullOrWhiteSpace(request.Members.Pack) ? None
            : options.Packs.FirstOrDefault(p => string.Equals(p.Name, request.Members.Pack, StringComparison.OrdinalIgnoreCase))?.Name ?? Other;
        try
        {
            var (members, name, _) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options);
            var main = members.FirstOrDefault(m => m.Role == MemberRole.Main)?.Model ?? members[0].Model;
            if (IsKnownModel(main, options, directory)) model = main;
            if (FusionMethods.Names.Contains(name, StringComparer.Ordinal)) method = name;
        }
        catch (ChorusException)
        {
            // the session refuses the request with the reason; its metrics count it under "other"
        }
        return
        [
            new("model", model), new("pack", pack), new("method", method), new("front_end", frontEnd),
        ];
    }

    private static bool IsKnownModel(string model, ChorusOptions options, ClusterModelDirectory directory) =>
        options.Models.Any(m => m.Id == model) || options.KnownModels.Contains(model, StringComparer.Ordinal) || directory.Served().ContainsKey(model);
}
