using System.Net;
using Chorus.Grains;
using Chorus.Silo.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Chorus.Silo;

/// <summary>Builds a Chorus silo process: Orleans silo, gRPC API, health, reflection and metrics.</summary>
public static class ChorusSiloHost
{
    /// <summary>
    /// Builds the host from args/config; <paramref name="configure"/> can adjust the options and <paramref name="configureHost"/>
    /// the host itself (logging, lifetime) — for in-process hosting and tests.
    /// </summary>
    public static WebApplication Build(string[] args, Action<ChorusOptions>? configure = null, Action<WebApplicationBuilder>? configureHost = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("CHORUS_");
        var options = new ChorusOptions();
        builder.Configuration.GetSection(ChorusOptions.Section).Bind(options);
        configure?.Invoke(options);
        ConfigurationCheck.ThrowIfInvalid(options);

        builder.UseOrleans(silo =>
        {
            ClusteringSetup.Apply(silo, options.Cluster);
            silo.AddChorus(options);
        });
        builder.Services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<ErrorTranslationInterceptor>();
        });
        builder.Services.AddGrpcHealthChecks().AddCheck<ModelsHealthCheck>("models");
        builder.Services.AddGrpcReflection();
        builder.Services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(ChorusMetrics.MeterName);
            if (options.Cluster.MetricsPort > 0) m.AddPrometheusExporter();
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = options.Cluster.ListenOnAnyAddress ? IPAddress.Any : IPAddress.Loopback;
            if (options.Cluster.GrpcPort > 0)
                k.Listen(address, options.Cluster.GrpcPort, l => l.Protocols = HttpProtocols.Http2);
            if (options.Cluster.MetricsPort > 0)
                k.Listen(address, options.Cluster.MetricsPort, l => l.Protocols = HttpProtocols.Http1);
        });

        ParentProcessWatch.AddIfConfigured(builder);
        configureHost?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcService<ChorusGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (options.Cluster.MetricsPort > 0)
        {
            app.MapPrometheusScrapingEndpoint();
            app.MapGet("/healthz", () => "ok");
        }
        return app;
    }
}
