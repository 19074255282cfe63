using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Chorus.Grains;

/// <summary>Wires Chorus into an Orleans silo: the models it serves, their placement, and the session services.</summary>
public static class SiloBuilderExtensions
{
    public static ISiloBuilder AddChorus(this ISiloBuilder builder, ChorusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        builder.UseSiloMetadata(new Dictionary<string, string> { [ServedModels.MetadataKey] = ServedModels.Encode(options.Models) });
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<LocalModels>();
        builder.Services.AddSingleton<VocabularyCatalog>();
        builder.Services.AddSingleton<ClusterModelDirectory>();
        builder.Services.AddSingleton<ChorusMetrics>();
        builder.Services.AddSingleton<GenerationTelemetry>();
        builder.Services.AddSingleton<SiloDrain>();
        builder.Services.AddPlacementDirector<ModelPlacement, ModelPlacementDirector>();
        // the trace context crosses silos in the request context; the session's ids give every line of a session a scope
        builder.AddActivityPropagation();
        builder.AddIncomingGrainCallFilter<SessionLogScope>();
        builder.Services.AddPlacementDirector<LocalSessionPlacement, LocalSessionPlacementDirector>();
        builder.AddGrainDirectory(LocalSessionDirectory.Name, (_, _) => new LocalSessionDirectory());
        builder.Configure<Orleans.Configuration.SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(5));
        return builder;
    }
}
