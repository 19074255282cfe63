using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Chorus.Silo.Tests.Deploy;

/// <summary>
/// YAML → JSON as Helm reads values: plain scalars typed by the YAML core schema (null, booleans, integers, floats),
/// quoted scalars always strings.
/// </summary>
internal static partial class YamlJson
{
    public static JsonObject Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        return stream.Documents.Count == 0 ? [] : Convert(stream.Documents[0].RootNode) as JsonObject ?? throw new FormatException($"{path}: the top level is not a map");
    }

    /// <summary>Every document of a YAML stream (helm template's output); a duplicate key in a map throws.</summary>
    public static List<JsonObject> LoadAll(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml)) stream.Load(reader);
        return [.. stream.Documents.Select(d => d.RootNode).Where(n => n is YamlMappingNode { Children.Count: > 0 }).Select(n => (JsonObject)Convert(n)!)];
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, Convert(p.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Convert)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new FormatException($"unsupported YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var text = s.Value ?? "";
        if (s.Style is not YamlDotNet.Core.ScalarStyle.Plain) return JsonValue.Create(text);
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (Integer().IsMatch(text)) return JsonValue.Create(long.Parse(text, CultureInfo.InvariantCulture));
        if (Float().IsMatch(text)) return JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>Helm's merge of user values over the chart's: maps merge key by key, anything else (lists too) is replaced.</summary>
    public static JsonObject Merge(JsonObject defaults, JsonObject overrides)
    {
        var merged = (JsonObject)defaults.DeepClone();
        foreach (var (key, value) in overrides)
        {
            if (value is JsonObject o && merged[key] is JsonObject d) merged[key] = Merge(d, o);
            else merged[key] = value?.DeepClone();
        }
        return merged;
    }
}
