using System.Globalization;
using System.Net;
using System.Text;

namespace Chorus.Client.Eval;

/// <summary>
/// An SVG of member weights along the mixed text: one stacked column per scored window (the method's mean weight of each
/// member over the window's steps), above a strip that shows which domain the window's text came from.
/// </summary>
public static class WeightPicture
{
    private static readonly string[] Palette = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2"];

    public static string Render(string title, IReadOnlyList<string> members, IReadOnlyList<string> memberDomains, IReadOnlyList<WindowWeights> windows)
    {
        const int width = 960, plotTop = 40, plotHeight = 220, stripHeight = 18, left = 50, right = 20;
        var total = windows.Count == 0 ? 1 : windows.Max(w => w.Offset + w.Length);
        double X(int offset) => left + (width - left - right) * (double)offset / total;
        var svg = new StringBuilder();
        var height = plotTop + plotHeight + stripHeight + 70;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"22\" font-size=\"15\">{WebUtility.HtmlEncode(title)}</text>\n");
        foreach (var w in windows)
        {
            var x0 = X(w.Offset);
            var x1 = X(w.Offset + w.Length);
            var y = (double)plotTop + plotHeight;
            for (var k = 0; k < w.Weights.Count; k++)
            {
                var h = plotHeight * Math.Clamp(w.Weights[k], 0, 1);
                y -= h;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0:F1}\" y=\"{y:F1}\" width=\"{Math.Max(0.5, x1 - x0):F1}\" height=\"{h:F1}\" fill=\"{Palette[k % Palette.Length]}\"/>\n");
            }
            var domainIndex = IndexOf(memberDomains, w.Domain);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{x0:F1}\" y=\"{plotTop + plotHeight + 4}\" width=\"{Math.Max(0.5, x1 - x0):F1}\" height=\"{stripHeight}\" fill=\"{(domainIndex >= 0 ? Palette[domainIndex % Palette.Length] : "#999")}\"/>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{plotTop + 10}\">1.0</text><text x=\"4\" y=\"{plotTop + plotHeight}\">0.0</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{plotTop + plotHeight + 17}\">text</text>\n");
        var legendY = plotTop + plotHeight + stripHeight + 30;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{legendY}\">columns: member weight per window; strip: domain the window's text came from. x: characters of the mixed text ({total:N0}).</text>\n");
        for (var k = 0; k < members.Count; k++)
        {
            var x = left + k * 220;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{legendY + 12}\" width=\"12\" height=\"12\" fill=\"{Palette[k % Palette.Length]}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 16}\" y=\"{legendY + 22}\">{WebUtility.HtmlEncode(members[k])} ({WebUtility.HtmlEncode(memberDomains[k])})</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value) return i;
        }
        return -1;
    }
}
