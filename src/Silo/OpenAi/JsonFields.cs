using System.Globalization;
using System.Text.Json;
using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// Typed reads of an OpenAI request body's fields; a wrong type is a 400 that names the field (inside an object, with
/// its <c>scope</c>: "chorus.") and what it must be.
/// </summary>
internal static class JsonFields
{
    public static bool Has(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined;

    public static string? String(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw Invalid(scope + name, "a string"),
    };

    public static bool? Bool(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Invalid(scope + name, "true or false"),
    };

    public static int? Int(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
        _ => throw Invalid(scope + name, "an integer"),
    };

    public static long? Long(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out var i) => i,
        _ => throw Invalid(scope + name, "an integer"),
    };

    public static double? Number(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        _ => throw Invalid(scope + name, "a number"),
    };

    /// <summary>A string or an array of strings (OpenAI's <c>stop</c>).</summary>
    public static string[]? Strings(JsonElement body, string name, string scope = "")
    {
        if (Get(body, name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) throw Invalid(scope + name, "a string or an array of strings");
        var list = new string[v.GetArrayLength()];
        for (var i = 0; i < list.Length; i++)
            list[i] = v[i].ValueKind == JsonValueKind.String ? v[i].GetString()! : throw Invalid($"{scope}{name}[{i}]", "a string");
        return list;
    }

    /// <summary>An object of scalar values as strings (method parameters: "alpha": 1.5 or "alpha": "1.5").</summary>
    public static Dictionary<string, string> Map(JsonElement body, string name, string scope = "")
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get(body, name) is not { } v) return map;
        if (v.ValueKind != JsonValueKind.Object) throw Invalid(scope + name, "an object of parameter names to values");
        foreach (var p in v.EnumerateObject())
        {
            map[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw Invalid($"{scope}{name}.{p.Name}", "a string, number or boolean"),
            };
        }
        return map;
    }

    public static JsonElement? Object(JsonElement body, string name, string scope = "") => Get(body, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } v => v,
        _ => throw Invalid(scope + name, "an object"),
    };

    public static ChorusException Invalid(string name, string what) =>
        new(ChorusErrorKind.InvalidArgument, $"'{name}' must be {what}") { Field = name };

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static JsonElement? Get(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined ? v : null;
}
