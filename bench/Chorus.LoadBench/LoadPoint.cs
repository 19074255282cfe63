using System.Globalization;

namespace Chorus.Bench.Load;

/// <summary>
/// How requests arrive: <c>closed:C</c> — C clients, each sending its next job when the last has finished; or
/// <c>open:R</c> — jobs arriving as a Poisson process at R per second, each independent of the others (a job is one
/// request, or one whole chat session).
/// </summary>
internal sealed record LoadPoint(bool Closed, int Clients, double Rate)
{
    public override string ToString() => Closed ? (Clients == 1 ? "1 client" : $"{Clients} clients") : $"Poisson {Rate.ToString("0.##", CultureInfo.InvariantCulture)}/s";

    public static LoadPoint Parse(string text)
    {
        var kv = text.Split(':', 2);
        if (kv.Length == 2 && kv[0] == "closed" && int.TryParse(kv[1], CultureInfo.InvariantCulture, out var c) && c > 0) return new LoadPoint(true, c, 0);
        if (kv.Length == 2 && kv[0] == "open" && double.TryParse(kv[1], CultureInfo.InvariantCulture, out var r) && r > 0) return new LoadPoint(false, 0, r);
        throw new ArgumentException($"load '{text}': expected closed:CLIENTS (e.g. closed:16) or open:RATE in jobs per second (e.g. open:4)");
    }
}
