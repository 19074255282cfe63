namespace Chorus.Fusion;

/// <summary>
/// A fusion method with its parameters fixed: immutable, shared by requests. <see cref="Prepare"/> does the
/// once-per-request work (weights, maps, relative spaces) and returns the session that fuses each step.
/// </summary>
public abstract class FusionMethod
{
    protected FusionMethod(string name, MethodRequirements requirements)
    {
        Name = name;
        Requirements = requirements;
    }

    /// <summary>The registry name ("uniform", "dlf", ...).</summary>
    public string Name { get; }

    /// <summary>What members must send and how vocabularies are handled.</summary>
    public MethodRequirements Requirements { get; }

    /// <summary>Validates the members for this method and prepares a session for one request.</summary>
    public FusionSession Prepare(FusionRequest request)
    {
        var pack = PreparedPack.Create(request, Name, Requirements);
        return CreateSession(pack);
    }

    /// <summary>Checks roles and evidence, computes per-request state, returns the session.</summary>
    protected abstract FusionSession CreateSession(PreparedPack pack);

    /// <summary>Indexes of the members with a role.</summary>
    protected static List<int> MembersWith(PreparedPack pack, MemberRole role)
    {
        var found = new List<int>();
        for (var i = 0; i < pack.Count; i++) if (pack.Members[i].Role == role) found.Add(i);
        return found;
    }
}
