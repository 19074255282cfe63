using System.Text.Json;
using Chorus.Contracts;
using static Chorus.Silo.OpenAi.JsonFields;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// The request's <c>chorus</c> object — what gRPC's GenerateRequest has and OpenAI's body has not: an ad-hoc pack
/// (<c>members</c>), the <c>method</c> and its <c>parameters</c>, speculation (<c>speculate</c>, <c>drafter</c>), a
/// <c>deadline_ms</c> and what to show. A field it does not know is a 400 naming it: a misspelt <c>speculate</c> must not
/// quietly decode without speculation.
/// </summary>
internal sealed record ChorusExtension(
    string[]? Members, string? Method, Dictionary<string, string> Parameters, int Speculate, string? Drafter, int DeadlineMilliseconds,
    bool? ShowWeights, bool ShowMemberTokens)
{
    private const string Scope = "chorus.";

    /// <summary>Every field the object may carry; <c>params</c> is the older name of <c>parameters</c>, kept for the clients that send it.</summary>
    public static readonly string[] Fields = ["members", "method", "parameters", "params", "speculate", "drafter", "deadline_ms", "show_weights", "show_member_tokens"];

    public static readonly ChorusExtension None = new(null, null, [], 0, null, 0, null, false);

    public static ChorusExtension Read(JsonElement body)
    {
        if (Object(body, "chorus") is not { } chorus) return None;
        foreach (var field in chorus.EnumerateObject())
            if (field.Value.ValueKind != JsonValueKind.Null && Array.IndexOf(Fields, field.Name) < 0)
                throw Refuse(field.Name, $"is not a field of 'chorus'; it takes {string.Join(", ", Fields.Where(f => f != "params"))} (docs/openai.md)");
        if (Has(chorus, "parameters") && Has(chorus, "params"))
            throw Refuse("params", "and 'chorus.parameters' are the same map under two names; send only 'parameters'");
        var members = Strings(chorus, "members", Scope);
        if (members is { Length: 0 }) throw Invalid(Scope + "members", "a non-empty array of model ids");
        return new ChorusExtension(
            members,
            String(chorus, "method", Scope),
            Has(chorus, "params") ? Map(chorus, "params", Scope) : Map(chorus, "parameters", Scope),
            Int(chorus, "speculate", Scope) ?? 0,
            String(chorus, "drafter", Scope),
            Int(chorus, "deadline_ms", Scope) ?? 0,
            Bool(chorus, "show_weights", Scope),
            Bool(chorus, "show_member_tokens", Scope) ?? false);
    }

    private static ChorusException Refuse(string field, string why) =>
        new(ChorusErrorKind.InvalidArgument, $"'{Scope}{field}' {why}") { Field = Scope + field };
}
