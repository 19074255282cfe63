using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Chorus.Fusion;
using Chorus.Grains;

namespace Chorus.Silo;

/// <summary>
/// <c>chorus-silo --help</c>: how to pass settings, then every setting of the <c>Chorus</c> section with its default and
/// its documentation, read by reflection from <see cref="ChorusOptions"/> and from the XML documentation shipped beside
/// the assembly — so the list cannot drift from what the silo binds. Method names come from the method registry.
/// </summary>
public static class SiloHelp
{
    public static bool Asked(string[] args) => args.Any(a => a is "--help" or "-h" or "-?" or "/?");

    public static string Text()
    {
        var docs = Documentation(typeof(ChorusOptions).Assembly);
        var text = new StringBuilder();
        text.AppendLine("chorus-silo: one Chorus silo (Orleans + the gRPC API, the OpenAI-compatible HTTP API when HttpPort is set).");
        text.AppendLine();
        text.AppendLine("Settings come from appsettings.json, CHORUS_-prefixed environment variables (CHORUS_Chorus__Cluster__GrpcPort=5080),");
        text.AppendLine($"an appsettings-style file named by {ConfigFile.Key}, or the command line (--Chorus:Cluster:GrpcPort=5080),");
        text.AppendLine("later sources winning. Lists take an index: --Chorus:Models:0:Id=wiki --Chorus:Models:0:Path=/models/wiki.gguf.");
        text.AppendLine("One command for one machine: chorus serve -m FILE… (see chorus serve --help).");
        text.AppendLine();
        text.AppendLine($"Fusion methods (Chorus:Packs:N:Method): {string.Join(", ", FusionMethods.Names)}");
        text.AppendLine();
        text.AppendLine("Settings (name = default: what it is):");
        Describe(text, typeof(ChorusOptions), new ChorusOptions(), ChorusOptions.Section, docs, depth: 0);
        return text.ToString();
    }

    private static void Describe(StringBuilder text, Type type, object? defaults, string prefix, Dictionary<string, string> docs, int depth)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var name = $"{prefix}:{p.Name}";
            docs.TryGetValue($"P:{p.DeclaringType!.FullName}.{p.Name}", out var doc);
            var value = defaults is null ? null : p.GetValue(defaults);
            var element = ElementType(p.PropertyType);
            if (element is not null && !IsScalar(element) && depth < 3)
            {
                text.AppendLine($"  {name}:N:…{Suffix(doc)}");
                Describe(text, element, Activator.CreateInstance(element), $"{name}:N", docs, depth + 1);
            }
            else if (element is null && !IsScalar(p.PropertyType) && depth < 3)
            {
                Describe(text, p.PropertyType, value, name, docs, depth + 1);
            }
            else
            {
                text.AppendLine($"  {name} = {Format(value)}{Suffix(doc)}");
            }
        }
    }

    private static string Suffix(string? doc) => string.IsNullOrWhiteSpace(doc) ? "" : $": {doc}";

    private static Type? ElementType(Type type) =>
        type == typeof(string) ? null
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type.GetGenericArguments().Length == 1 ? type.GetGenericArguments()[0]
        : null;

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
            || (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>));
    }

    private static string Format(object? value) => value switch
    {
        null => "(none)",
        string s when s.Length == 0 => "\"\"",
        IDictionary d => d.Count == 0 ? "{}" : "{…}",
        IEnumerable e and not string => e.Cast<object>().Any() ? "[…]" : "[]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    // <member name="P:Chorus.Grains.ClusterSettings.GrpcPort"><summary>…</summary></member>, whitespace collapsed
    private static Dictionary<string, string> Documentation(Assembly assembly)
    {
        var file = Path.ChangeExtension(assembly.Location, ".xml");
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(assembly.Location) || !File.Exists(file)) return docs;
        foreach (var member in XDocument.Load(file).Descendants("member"))
        {
            if (member.Attribute("name")?.Value is not { } key || member.Element("summary") is not { } summary) continue;
            var words = string.Concat(summary.Nodes().Select(n => n switch
            {
                XElement e => e.Attribute("cref")?.Value.Split('.').Last() ?? e.Value,
                XText t => t.Value,
                _ => "",
            }));
            docs[key] = string.Join(' ', words.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        }
        return docs;
    }
}
