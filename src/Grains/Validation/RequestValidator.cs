using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>
/// Every request checked once, against the cluster's limits, before anything tokenizes or opens a sequence; every front
/// end (gRPC, HTTP) and the session grain call it. A violation is <see cref="ChorusErrorKind.InvalidArgument"/> with a
/// message that names the field, the value, what is allowed and the fix.
/// </summary>
public static class RequestValidator
{
    /// <summary>Checks a fused generation: members, method, parameters, prompt, sampling and limits.</summary>
    public static void Check(GenerationRequest request, SessionOptions limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        CheckSelection(request.Members, request.Method, request.Parameters, limits);
        if (request.Messages is null) TextRules.Text(request.Prompt, "prompt", limits.MaxTextBytes, required: true);
        else ChatRules.Check(request.Messages, request.Prompt, limits);
        if (request.TopLogProbs is < -1 or > FusedLogProbs.MaxTop)
            throw Invalid($"top_logprobs must be in [0, {FusedLogProbs.MaxTop}] (or -1 for no log-probabilities), got {request.TopLogProbs}", "top_logprobs");
        SamplingRules.Check(request.Sampling ?? new SamplingSpec());
        SamplingRules.CheckLimits(request.MaxTokens, request.DeadlineMilliseconds, request.Stop, limits);
        ModeRules.CheckSpeculation(request);
    }

    /// <summary>
    /// Checks a fused generation as the gateway does before a session starts: everything above, then the modes the
    /// method — resolved from the request or its pack, as the session resolves it — cannot combine with (<see cref="ModeRules"/>).
    /// </summary>
    public static void Check(GenerationRequest request, ChorusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Check(request, options.Sessions);
        if (ResolvedMethod(request, options) is { } method) ModeRules.CheckMethod(request, method);
    }

    // an unknown pack, method or parameter is the session's to refuse, with the same message: it counts the refusal in
    // the request metrics under the request's labels
    private static Fusion.FusionMethod? ResolvedMethod(GenerationRequest request, ChorusOptions options)
    {
        try
        {
            var (_, name, parameters) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options);
            return Fusion.FusionMethods.Create(name, parameters);
        }
        catch (Exception e) when (e is ChorusException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Checks a scoring request: members, method, parameters and the text.</summary>
    public static void Check(ScoreRequest request, SessionOptions limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        CheckSelection(request.Members, request.Method, request.Parameters, limits);
        TextRules.Text(request.Text, "text", limits.MaxTextBytes, required: true);
        if (request.PromptTokens < -1)
            throw Invalid($"prompt_tokens must be ≥ 0, or -1 to let the server choose; got {request.PromptTokens}");
    }

    /// <summary>Checks a free text (a text to tokenize, a context for next-token logits): its size and that it is valid Unicode.</summary>
    public static void CheckText(string? text, string field, SessionOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        TextRules.Text(text, field, limits.MaxTextBytes, required: false);
    }

    /// <summary>Checks a pack check: members, the optional sample text, and that any Determine evidence is finite.</summary>
    public static void Check(PackCheckRequest request, SessionOptions limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        CheckSelection(request.Members, null, null, limits);
        TextRules.Text(request.Text, "text", limits.MaxTextBytes, required: false);
        if ((request.TaskScores ?? []).Concat(request.ResponseLengths ?? []).Any(x => !double.IsFinite(x)))
            throw Invalid("task_scores and response_lengths must be finite numbers, one per member (or none)");
    }

    private static void CheckSelection(MemberSelection? members, string? method, IReadOnlyDictionary<string, string>? parameters, SessionOptions limits)
    {
        var models = members?.Models ?? [];
        var count = models.Length + (members?.Pack is null ? 0 : 1);
        if (count > limits.MaxMembers)
            throw Invalid($"members name {count} models; at most {limits.MaxMembers} are allowed (Chorus:Sessions:MaxMembers); name fewer models");
        if (members?.Pack is { } pack) TextRules.Identifier(pack, "members.pack");
        for (var i = 0; i < models.Length; i++) TextRules.Identifier(models[i], $"members.models[{i}]");
        if (method is not null) TextRules.Identifier(method, "method");
        if (parameters is null) return;
        if (parameters.Count > limits.MaxParameters)
            throw Invalid($"params has {parameters.Count} entries; at most {limits.MaxParameters} are allowed (Chorus:Sessions:MaxParameters); send fewer");
        foreach (var (key, value) in parameters)
        {
            TextRules.Bounded(key, "params key", limits.MaxParameterBytes, allowEmpty: false);
            TextRules.Bounded(value, $"params['{key}']", limits.MaxParameterBytes, allowEmpty: true);
        }
    }

    internal static ChorusException Invalid(string message, string? field = null) => new(ChorusErrorKind.InvalidArgument, message) { Field = field };
}
