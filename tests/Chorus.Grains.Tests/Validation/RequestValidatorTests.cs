using Chorus.Contracts;

namespace Chorus.Grains.Tests.Validation;

/// <summary>Each rule of <see cref="RequestValidator"/> with a value just inside and just outside its limit.</summary>
public sealed class RequestValidatorTests
{
    private static readonly SessionOptions Limits = new()
    {
        MaxTextBytes = 64, MaxMembers = 3, MaxStopStrings = 2, MaxStopStringBytes = 8, MaxParameters = 2, MaxParameterBytes = 8, MaxTokensLimit = 100,
    };

    private static GenerationRequest Generation(
        string prompt = "Once upon a time", string[]? models = null, string? pack = null, SamplingSpec? sampling = null,
        int maxTokens = 0, string[]? stop = null, int deadline = 0, Dictionary<string, string>? parameters = null, string? method = null) =>
        new(new MemberSelection(pack, models ?? ["a"]), method, parameters ?? [], prompt, sampling ?? new SamplingSpec(), maxTokens, stop, deadline);

    private static void Valid(GenerationRequest request) => RequestValidator.Check(request, Limits);

    private static void Invalid(GenerationRequest request, params string[] expected) => AssertInvalid(() => RequestValidator.Check(request, Limits), expected);

    private static void AssertInvalid(Action check, params string[] expected)
    {
        var e = Assert.Throws<ChorusException>(check);
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        foreach (var part in expected) Assert.Contains(part, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_request_passes() => Valid(Generation());

    [Fact]
    public void Prompt_must_not_be_empty()
    {
        Valid(Generation(prompt: "x"));
        Invalid(Generation(prompt: ""), "prompt", "empty");
    }

    [Fact]
    public void Prompt_is_limited_in_utf8_bytes_not_chars()
    {
        Valid(Generation(prompt: new string('x', 64)));
        Invalid(Generation(prompt: new string('x', 65)), "prompt", "65 bytes", "64", "MaxTextBytes");
        // "é" is one char but two bytes: 32 of them fit in 64 bytes, 33 do not
        Valid(Generation(prompt: string.Concat(Enumerable.Repeat("é", 32))));
        Invalid(Generation(prompt: string.Concat(Enumerable.Repeat("é", 33))), "prompt", "66 bytes");
    }

    [Fact]
    public void A_lone_surrogate_is_reported_at_its_utf8_byte_offset()
    {
        Valid(Generation(prompt: "aé😀b")); // a well-formed pair passes
        Invalid(Generation(prompt: "aé\uD83Db"), "prompt", "U+D83D", "byte 3");
        Invalid(Generation(prompt: "😀\uDE00"), "prompt", "U+DE00", "byte 4");
        Invalid(Generation(prompt: "ab\uD83D"), "prompt", "byte 2");
    }

    [Fact]
    public void Members_are_counted_and_each_id_is_short_and_present()
    {
        Valid(Generation(models: ["a", "b", "c"]));
        Invalid(Generation(models: ["a", "b", "c", "d"]), "4 models", "at most 3", "MaxMembers");
        Valid(Generation(models: ["a", "b"], pack: "p")); // the planner rejects pack + models; the validator only counts
        Invalid(Generation(models: ["a", "b", "c"], pack: "p"), "4 models");
        Invalid(Generation(models: ["a", " "]), "members.models[1]", "empty");
        Valid(Generation(models: [new string('m', TextRules.MaxIdentifierBytes)]));
        Invalid(Generation(models: [new string('m', TextRules.MaxIdentifierBytes + 1)]), "members.models[0]", $"{TextRules.MaxIdentifierBytes + 1} bytes");
        Invalid(Generation(models: ["a\uD800"]), "members.models[0]", "surrogate");
        Invalid(Generation(models: [], pack: new string('p', TextRules.MaxIdentifierBytes + 1)), "members.pack");
        Invalid(Generation(method: new string('u', TextRules.MaxIdentifierBytes + 1)), "method");
    }

    [Fact]
    public void Max_tokens_is_between_zero_and_the_limit()
    {
        Valid(Generation(maxTokens: 0));
        Valid(Generation(maxTokens: 100));
        Invalid(Generation(maxTokens: -1), "max_tokens", "-1", "[0, 100]");
        Invalid(Generation(maxTokens: 101), "max_tokens", "101", "MaxTokensLimit");
    }

    [Fact]
    public void Deadline_is_not_negative()
    {
        Valid(Generation(deadline: 0));
        Invalid(Generation(deadline: -1), "deadline_ms", "-1");
    }

    [Theory]
    [InlineData(0f, true)]
    [InlineData(SamplingRules.MaxTemperature, true)]
    [InlineData(-0.001f, false)]
    [InlineData(SamplingRules.MaxTemperature + 0.01f, false)]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    public void Temperature_is_finite_and_in_range(float temperature, bool valid) =>
        Expect(valid, Generation(sampling: new SamplingSpec(Temperature: temperature)), "temperature");

    [Theory]
    [InlineData(0f, true)]
    [InlineData(1f, true)]
    [InlineData(0.95f, true)]
    [InlineData(-0.001f, false)]
    [InlineData(1.001f, false)]
    [InlineData(float.NaN, false)]
    [InlineData(float.NegativeInfinity, false)]
    public void Top_p_is_finite_in_zero_to_one(float topP, bool valid) =>
        Expect(valid, Generation(sampling: new SamplingSpec(TopP: topP)), "top_p");

    [Theory]
    [InlineData(0f, true)]
    [InlineData(1f, true)]
    [InlineData(-0.001f, false)]
    [InlineData(1.001f, false)]
    [InlineData(float.NaN, false)]
    public void Min_p_is_finite_in_zero_to_one(float minP, bool valid) =>
        Expect(valid, Generation(sampling: new SamplingSpec(MinP: minP)), "min_p");

    [Theory]
    [InlineData(0, true)]
    [InlineData(-1, false)]
    public void Top_k_is_not_negative(int topK, bool valid) =>
        Expect(valid, Generation(sampling: new SamplingSpec(TopK: topK)), "top_k");

    [Fact]
    public void Stop_strings_are_counted_bounded_and_non_empty()
    {
        Valid(Generation(stop: ["ab", "12345678"]));
        Invalid(Generation(stop: ["a", "b", "c"]), "stop", "3 strings", "MaxStopStrings");
        Invalid(Generation(stop: ["a", "123456789"]), "stop[1]", "9 bytes", "at most 8");
        Invalid(Generation(stop: [""]), "stop[0]", "empty");
        Invalid(Generation(stop: ["\uDC00"]), "stop[0]", "surrogate");
    }

    [Fact]
    public void Parameters_are_counted_and_bounded()
    {
        Valid(Generation(parameters: new() { ["alpha"] = "12345678", ["k"] = "" }));
        Invalid(Generation(parameters: new() { ["a"] = "1", ["b"] = "2", ["c"] = "3" }), "params", "3 entries", "MaxParameters");
        Invalid(Generation(parameters: new() { ["123456789"] = "1" }), "params key", "9 bytes");
        Invalid(Generation(parameters: new() { [""] = "1" }), "params key", "empty");
        Invalid(Generation(parameters: new() { ["alpha"] = "123456789" }), "params['alpha']", "9 bytes");
    }

    [Fact]
    public void Score_text_is_required_bounded_and_well_formed()
    {
        var members = new MemberSelection(null, ["a", "b"]);
        RequestValidator.Check(new ScoreRequest(members, null, [], new string('t', 64)), Limits);
        AssertInvalid(() => RequestValidator.Check(new ScoreRequest(members, null, [], new string('t', 65)), Limits), "text", "65 bytes");
        AssertInvalid(() => RequestValidator.Check(new ScoreRequest(members, null, [], ""), Limits), "text", "empty");
        AssertInvalid(() => RequestValidator.Check(new ScoreRequest(members, null, [], "t\uD800"), Limits), "text", "byte 1");
        AssertInvalid(() => RequestValidator.Check(new ScoreRequest(new MemberSelection(null, ["a", "b", "c", "d"]), null, [], "t"), Limits), "4 models");
        RequestValidator.Check(new ScoreRequest(members, null, [], "t", PromptTokens: 0), Limits);
        AssertInvalid(() => RequestValidator.Check(new ScoreRequest(members, null, [], "t", PromptTokens: -2), Limits), "prompt_tokens", "-2");
    }

    [Fact]
    public void A_free_text_may_be_empty_but_is_bounded_and_well_formed()
    {
        RequestValidator.CheckText(null, "context", Limits);
        RequestValidator.CheckText("", "context", Limits);
        RequestValidator.CheckText(new string('c', 64), "context", Limits);
        AssertInvalid(() => RequestValidator.CheckText(new string('c', 65), "context", Limits), "context", "65 bytes");
        AssertInvalid(() => RequestValidator.CheckText("\uD800", "text", Limits), "text", "U+D800", "byte 0");
    }

    [Fact]
    public void A_3_MB_text_is_rejected_by_its_byte_count_under_the_default_limit()
    {
        var defaults = new SessionOptions();
        var huge = new string('x', 3 << 20);
        var e = Assert.Throws<ChorusException>(() => RequestValidator.CheckText(huge, "prompt", defaults));
        Assert.Contains($"{3 << 20} bytes", e.Message, StringComparison.Ordinal);
        RequestValidator.CheckText(new string('x', defaults.MaxTextBytes), "prompt", defaults);
    }

    private static void Expect(bool valid, GenerationRequest request, string field)
    {
        if (valid) Valid(request);
        else Invalid(request, field);
    }
}
