using Chorus.Contracts;

namespace Chorus.Grains;

/// <summary>How a session reaches a member model: directly when the model is active in the session's own silo, else through its grain.</summary>
public static class ModelGrains
{
    /// <summary>
    /// The model replica <paramref name="key"/>: a local reference that calls its scheduler without an Orleans message when it is
    /// active in the silo of <paramref name="grains"/>, otherwise the grain reference. Both fail and behave alike. A model
    /// not active yet is reached through its grain by this reference (serving silos activate their models as they start).
    /// </summary>
    public static IModelGrain Get(IGrainFactory grains, string key)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var grain = grains.GetGrain<IModelGrain>(key);
        return LocalModels.Of(grains) is { Enabled: true } local && local.TryGet(key, out var model) ? new LocalModelGrain(model, grain, local) : grain;
    }
}
