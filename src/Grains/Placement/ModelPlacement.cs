using Orleans.Placement;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>Places a model grain only on a silo whose configuration serves that model (silo metadata "chorus.models").</summary>
[GenerateSerializer, Immutable, Alias("chorus.ModelPlacement")]
public sealed class ModelPlacement : PlacementStrategy
{
    public static ModelPlacement Instance { get; } = new();

    public override bool IsUsingGrainDirectory => true;
}

/// <summary>Marks a grain class as placed by <see cref="ModelPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ModelPlacementAttribute() : PlacementAttribute(ModelPlacement.Instance);
