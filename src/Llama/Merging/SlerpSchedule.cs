using System.Globalization;

namespace Chorus.Llama.Merging;

/// <summary>One of SLERP's t settings: for tensors whose name contains <paramref name="Filter"/> (null: every tensor), a
/// single value or a gradient of values spread over the layers.</summary>
public sealed record SlerpCondition(string? Filter, IReadOnlyList<double> Values);

/// <summary>
/// SLERP's t per tensor, as mergekit reads its <c>t</c> parameter: the first condition whose filter is a substring of the
/// tensor's name (or that has no filter) applies; a list of values is a gradient, interpolated linearly at the layer's
/// position x = layer / (layers − 1) (x = 1 with one layer), so [0, 0.5, 1] runs from the first model at the first layer
/// to the second at the last. Tensors outside the layers (embeddings, output norm and head) sit at x = 0, as mergekit plans
/// them. GGUF names differ from Hugging Face's: filter on <c>attn</c> and <c>ffn</c> where mergekit's examples say
/// <c>self_attn</c> and <c>mlp</c>.
/// </summary>
public sealed class SlerpSchedule
{
    private readonly IReadOnlyList<SlerpCondition> _conditions;

    public SlerpSchedule(IReadOnlyList<SlerpCondition> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (conditions.Count == 0) throw new ArgumentException("slerp's t needs at least one value");
        foreach (var c in conditions)
        {
            if (c.Values.Count == 0) throw new ArgumentException($"slerp's t for '{c.Filter ?? "*"}' has no values");
            foreach (var v in c.Values)
                if (!(v >= 0 && v <= 1)) throw new ArgumentException($"slerp's t must be in [0, 1], not {v} (for '{c.Filter ?? "*"}')");
        }
        _conditions = conditions;
    }

    public IReadOnlyList<SlerpCondition> Conditions => _conditions;

    /// <summary>Parses <c>VALUES</c> or <c>FILTER=VALUES</c>, VALUES one number or a comma-separated gradient.</summary>
    public static SlerpSchedule Parse(IEnumerable<string> settings)
    {
        var conditions = new List<SlerpCondition>();
        foreach (var setting in settings)
        {
            var eq = setting.IndexOf('=', StringComparison.Ordinal);
            var filter = eq > 0 ? setting[..eq].Trim() : null;
            var values = new List<double>();
            foreach (var part in (eq > 0 ? setting[(eq + 1)..] : setting).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new ArgumentException($"slerp's t '{setting}': '{part}' is not a number; write 0.5, 0,0.5,1 or attn=0,0.5,1");
                values.Add(v);
            }
            conditions.Add(new SlerpCondition(filter is "" or "*" ? null : filter, values));
        }
        return new SlerpSchedule(conditions);
    }

    /// <summary>t for one tensor of a model with <paramref name="layers"/> layers.</summary>
    public double For(string tensorName, int layers)
    {
        foreach (var c in _conditions)
        {
            if (c.Filter is not null && !tensorName.Contains(c.Filter, StringComparison.Ordinal)) continue;
            return Interpolate(c.Values, Position(tensorName, layers));
        }
        throw new ArgumentException($"no slerp t applies to tensor '{tensorName}': add a value without a filter as the fallback (e.g. --t 0.5)");
    }

    /// <summary>mergekit's gradient: the value at x ∈ [0, 1] between the list's evenly spaced points.</summary>
    public static double Interpolate(IReadOnlyList<double> values, double x)
    {
        var scaled = x * (values.Count - 1);
        var i0 = (int)scaled;
        var i1 = Math.Min(values.Count - 1, i0 + 1);
        var fraction = scaled - i0;
        return (1 - fraction) * values[i0] + fraction * values[i1];
    }

    /// <summary>The layer's position in [0, 1]: blk.N of L layers at N / (L − 1); other tensors at 0.</summary>
    public static double Position(string tensorName, int layers)
    {
        if (LayerOf(tensorName) is not { } layer) return 0;
        return layers > 1 ? (double)layer / (layers - 1) : 1;
    }

    /// <summary>N of a tensor named blk.N.…, or null.</summary>
    public static int? LayerOf(string tensorName)
    {
        const string Prefix = "blk.";
        if (!tensorName.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var end = tensorName.IndexOf('.', Prefix.Length);
        return end > Prefix.Length && int.TryParse(tensorName.AsSpan(Prefix.Length, end - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>Layers of a model: one more than the largest blk.N among its tensors.</summary>
    public static int LayerCount(IEnumerable<string> tensorNames) => tensorNames.Select(LayerOf).Max(n => n ?? -1) + 1;

    public override string ToString() => string.Join(" ", _conditions.Select(c =>
        (c.Filter is null ? "" : c.Filter + "=") + string.Join(",", c.Values.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))));
}
