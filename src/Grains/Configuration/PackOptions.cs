namespace Chorus.Grains;

/// <summary>A named fusion preset.</summary>
public sealed class PackOptions
{
    public string Name { get; set; } = "";

    /// <summary>The default method for this pack.</summary>
    public string Method { get; set; } = "uniform";

    /// <summary>Default method parameters.</summary>
    public Dictionary<string, string> Parameters { get; set; } = [];

    /// <summary>Members in role order (see docs/cli.md "Roles"), each optionally with an explicit role.</summary>
    public List<PackMemberOptions> Members { get; set; } = [];
}

/// <summary>A pack member.</summary>
public sealed class PackMemberOptions
{
    public string Model { get; set; } = "";

    /// <summary>main, base, expert or anti-expert; empty = by position.</summary>
    public string? Role { get; set; }

    /// <summary>Prompts describing the member's domain (mixture router, similarity mode).</summary>
    public List<string> Descriptions { get; set; } = [];
}
